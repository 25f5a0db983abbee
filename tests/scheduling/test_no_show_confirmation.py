"""Marking a no-show asks first and states the policy fee it will post at the patient's class; the figure stated is
the figure the no-show posts, and only the confirmation's own post marks it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.billing.models import Charge
from apps.scheduling.models import Appointment

from .conftest import MONDAY, at, confirmation_dialog

pytestmark = pytest.mark.django_db


@pytest.fixture
def missed(session, frozen_now):
    """Twenty minutes into the session, the patient not there."""
    frozen_now.move_to(at(MONDAY, 10, 20))
    return session


def _no_show_url(appointment) -> str:
    return reverse("scheduling:appointment_action", args=[appointment.pk, "no-show"])


def test_the_first_post_asks_and_states_the_fee_then_the_confirmation_marks_it(priced, missed, login):
    client = login(priced.front_desk)

    asked = client.post(_no_show_url(missed), {"next": "/schedule/my-day/"})

    body = asked.content.decode()
    assert asked.status_code == 200
    assert "Mark this session a no-show?" in body and "A no-show fee of <strong>$40.00</strong>" in body
    assert "at their fee class (" in body
    assert 'name="confirmed" value="yes"' in body and 'name="next" value="/schedule/my-day/"' in body
    assert Appointment.objects.get(pk=missed.pk).status == "booked" and not Charge.objects.exists()

    done = client.post(_no_show_url(missed), {"confirmed": "yes", "next": "/schedule/my-day/"})

    assert done.status_code == 302 and done["Location"] == "/schedule/my-day/"
    assert Appointment.objects.get(pk=missed.pk).status == "no_show"
    charge = Charge.objects.get(appointment=missed)
    assert (charge.kind, charge.amount, charge.class_code) == ("no_show", Decimal("40.00"), "C")


def test_through_htmx_the_confirmation_is_a_dialog(priced, missed, login):
    body = confirmation_dialog(login(priced.front_desk).post(_no_show_url(missed), HTTP_HX_REQUEST="true"))
    assert "$40.00" in body and "Keep the session booked" in body


def test_without_a_fee_configuration_the_confirmation_states_no_fee_as_the_no_show_posts_none(clinic, missed, login):
    asked = login(clinic.front_desk).post(_no_show_url(missed))
    assert "No fee is set for it, so none will be posted." in asked.content.decode()
    login(clinic.front_desk).post(_no_show_url(missed), {"confirmed": "yes"})
    assert Appointment.objects.get(pk=missed.pk).status == "no_show" and not Charge.objects.exists()


def test_a_session_not_yet_started_says_why_instead_of_asking(priced, session, login):
    asked = login(priced.front_desk).post(_no_show_url(session))
    body = asked.content.decode()
    assert "The session cannot be marked a no-show" in body
    assert "once it has started" in body and 'name="confirmed"' not in body
    assert Appointment.objects.get(pk=session.pk).status == "booked"


def test_the_session_page_asks_through_a_dialog(priced, missed, login):
    page = login(priced.front_desk).get(reverse("scheduling:appointment_detail", args=[missed.pk])).content.decode()
    assert f'hx-post="{_no_show_url(missed)}"' in page and 'hx-target="#outcome-confirm"' in page
    assert "No-show…" in page


def test_a_no_show_a_package_covers_says_a_session_is_used_as_the_no_show_uses_one(priced, packaged, missed, login):
    client = login(priced.front_desk)
    asked = client.post(_no_show_url(missed)).content.decode()
    assert "package is used for it instead of a fee" in asked and "no-show fee of" not in asked

    client.post(_no_show_url(missed), {"confirmed": "yes"})

    line = Charge.objects.get(appointment=missed)
    assert (line.kind, line.amount, line.class_code) == ("no_show", Decimal("0.00"), "PKG")
    packaged.refresh_from_db()
    assert packaged.sessions_used == 1


def test_the_confirmations_state_a_session_at_another_office_in_that_offices_time(
    priced, pasadena_session, frozen_now, login
):
    """A 10:00 session at the Pasadena office is 10:00 Pacific, not the clinic's 13:00 Eastern."""
    frozen_now.move_to(pasadena_session.start + dt.timedelta(minutes=20))
    client = login(priced.front_desk)
    cancel = reverse("scheduling:appointment_cancel", args=[pasadena_session.pk])
    for asked in (client.post(_no_show_url(pasadena_session)), client.post(cancel, {"reason": "Flu"})):
        body = asked.content.decode()
        assert "Monday, June 1, 2026 at 10:00 AM Los Angeles time" in body, body
