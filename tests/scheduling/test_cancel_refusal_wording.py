"""A session that is no longer booked cannot be cancelled, and the refusal says what became of it and when, the same
on the staff page, the patient's page and the API (409)."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.core.errors import InvalidTransition
from apps.scheduling import services
from apps.scheduling.models import Appointment

from .conftest import MONDAY, at, confirmation_dialog

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NOTHING_MORE = "Nothing more is needed; a new session can be booked for another time."


def _cancelled(clinic, session, frozen_now):
    """Cancelled on Saturday, May 30, well before the window."""
    frozen_now.move_to(at(MONDAY, 10) - dt.timedelta(days=2))
    services.appointment_cancel(appointment=session, actor=clinic.front_desk)
    frozen_now.move_to(at(MONDAY, 9))


def _late_cancelled(clinic, session, frozen_now):
    """Cancelled on Sunday, May 31, inside the 24-hour window."""
    frozen_now.move_to(at(MONDAY, 10) - dt.timedelta(hours=20))
    services.appointment_cancel(appointment=session, actor=clinic.front_desk)
    frozen_now.move_to(at(MONDAY, 9))


def _completed(clinic, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 11))
    services.appointment_complete(appointment=session, actor=clinic.therapist)


def _no_show(clinic, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 10, 30))
    services.appointment_no_show(appointment=session, actor=clinic.front_desk)


def _checked_in(clinic, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 9, 55))
    services.appointment_check_in(appointment=session, actor=clinic.front_desk)


CASES = [
    (_cancelled, f"This session was already cancelled on May 30, 2026. {NOTHING_MORE}"),
    (
        _late_cancelled,
        f"This session was already cancelled on May 31, 2026, as a late cancellation. {NOTHING_MORE}",
    ),
    (_completed, "This session took place on June 1, 2026 and is recorded as completed, so it cannot be cancelled."),
    (_no_show, "This session on June 1, 2026 is recorded as a no-show, so it cannot be cancelled."),
    (
        _checked_in,
        "The patient has checked in for this session, so it cannot be cancelled; record it as completed instead.",
    ),
]


@pytest.mark.parametrize(("happened", "message"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_cancelling_a_session_no_longer_booked_says_what_became_of_it(
    clinic, session, frozen_now, login, happened, message
):
    happened(clinic, session, frozen_now)
    status = Appointment.objects.get(pk=session.pk).status

    with pytest.raises(InvalidTransition) as refused:
        services.appointment_cancel(appointment=Appointment.objects.get(pk=session.pk), actor=clinic.front_desk)
    assert refused.value.message == message

    api = login(clinic.front_desk, api=True)
    answer = api.post(f"/api/appointments/{session.pk}/cancel/", {}, format="json")
    assert answer.status_code == 409 and answer.json()["error"]["message"] == message

    url = reverse("scheduling:appointment_cancel", args=[session.pk])
    page = login(clinic.front_desk).post(url, {})
    assert page.status_code == 409 and message in page.content.decode()
    done = login(clinic.front_desk).post(url, {"confirmed": "yes"}, follow=True)
    assert message in done.content.decode()
    assert Appointment.objects.get(pk=session.pk).status == status


def test_the_patient_is_told_the_same_on_their_page(clinic, session, frozen_now, login):
    _cancelled(clinic, session, frozen_now)
    page = login(clinic.patient_user).post(reverse("portal:sessions:cancel", args=[session.pk]), {})
    assert page.status_code == 409
    assert f"This session was already cancelled on May 30, 2026. {NOTHING_MORE}" in page.content.decode()


def test_the_dialog_for_a_session_cancelled_meanwhile_leads_to_the_session_as_it_now_is(
    clinic, session, frozen_now, login
):
    """The staff page still shows "Booked": closing the dialog would leave it saying so, so its button reloads it."""
    _cancelled(clinic, session, frozen_now)  # by someone else, after the page was loaded
    client = login(clinic.front_desk)
    dialog = confirmation_dialog(client.post(reverse("scheduling:appointment_cancel", args=[session.pk]), {}, **HTMX))
    assert "The session cannot be cancelled" in dialog and "already cancelled on May 30, 2026" in dialog
    detail = reverse("scheduling:appointment_detail", args=[session.pk])
    assert f'<a class="button" href="{detail}">See the session</a>' in dialog
    assert 'method="dialog"' not in dialog
    assert "Cancelled" in client.get(detail).content.decode()


def test_a_dialog_refusing_what_was_typed_still_goes_back_to_the_form(clinic, session, frozen_now, login):
    frozen_now.move_to(at(MONDAY, 7))  # inside the window: waiving the fee needs a reason
    url = reverse("scheduling:appointment_cancel", args=[session.pk])
    dialog = confirmation_dialog(login(clinic.front_desk).post(url, {"waive_late_fee": "on"}, **HTMX))
    assert 'method="dialog"' in dialog and "See the session" not in dialog
