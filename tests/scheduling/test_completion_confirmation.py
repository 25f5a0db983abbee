"""Completing a session from its page asks first and states the session fee it will post at the patient's class (or
the package session it uses); the figure stated is the figure the completion posts, and only the confirmation's own
post completes it. The API's complete/ stays one call (the caller states its intent)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.billing.models import Charge
from apps.scheduling.models import Appointment
from tests.factories import AppointmentFactory

from .conftest import MONDAY, at, confirmation_dialog

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(session, frozen_now):
    """The session has ended."""
    frozen_now.move_to(at(MONDAY, 11))
    return session


def _complete_url(appointment) -> str:
    return reverse("scheduling:appointment_action", args=[appointment.pk, "complete"])


def test_the_first_post_asks_and_states_the_fee_then_the_confirmation_completes_and_posts_it(priced, held, login):
    client = login(priced.front_desk)

    asked = client.post(_complete_url(held), {"next": "/schedule/my-day/"})

    body = asked.content.decode()
    assert asked.status_code == 200
    assert "Complete this session?" in body and "the session took place" in body
    assert "The session fee of <strong>$80.00</strong> will be posted to" in body and "at their fee class (" in body
    assert 'name="confirmed" value="yes"' in body and "Yes, complete the session" in body
    assert Appointment.objects.get(pk=held.pk).status == "booked" and not Charge.objects.exists()

    done = client.post(_complete_url(held), {"confirmed": "yes", "next": "/schedule/my-day/"})

    assert done.status_code == 302 and done["Location"] == "/schedule/my-day/"
    assert Appointment.objects.get(pk=held.pk).status == "completed"
    charge = Charge.objects.get(appointment=held)
    assert (charge.kind, charge.amount, charge.class_code) == ("session", Decimal("80.00"), "C")


def test_through_htmx_the_confirmation_is_a_dialog_and_the_page_asks_through_it(priced, held, login):
    client = login(priced.front_desk)
    body = confirmation_dialog(client.post(_complete_url(held), HTTP_HX_REQUEST="true"))
    assert "$80.00" in body and "Not yet" in body
    page = client.get(reverse("scheduling:appointment_detail", args=[held.pk])).content.decode()
    assert f'hx-post="{_complete_url(held)}"' in page and "Complete…" in page


def test_a_session_a_package_covers_says_a_session_is_used_as_the_completion_uses_one(priced, packaged, held, login):
    client = login(priced.front_desk)
    asked = client.post(_complete_url(held)).content.decode()
    assert "One session of" in asked and "package is used for it." in asked and "session fee of" not in asked

    client.post(_complete_url(held), {"confirmed": "yes"})

    assert Charge.objects.get(appointment=held).amount == Decimal("0.00")
    packaged.refresh_from_db()
    assert packaged.sessions_used == 1


def test_a_session_not_yet_started_says_why_instead_of_asking(priced, session, login):
    body = login(priced.front_desk).post(_complete_url(session)).content.decode()
    assert "The session cannot be completed" in body and 'name="confirmed"' not in body
    assert Appointment.objects.get(pk=session.pk).status == "booked"


def test_a_group_meeting_says_its_attendees_are_charged_from_the_attendance(priced, login, frozen_now):
    meeting = AppointmentFactory(
        therapist=priced.therapist, patient=None, service_type=priced.group, start=at(MONDAY, 15)
    )
    frozen_now.move_to(at(MONDAY, 17))
    body = login(priced.front_desk).post(_complete_url(meeting)).content.decode()
    assert "charged to each attendee from the attendance" in body and "Yes, complete the session" in body
