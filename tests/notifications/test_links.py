"""Confirm and cancel links in reminders: signed, expiring at the session's start, acting only on POST."""

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from apps.core import clock
from apps.notifications.links import SALT, appointment_link_token, appointment_link_url
from apps.notifications.models import AppointmentConfirmation, Message
from apps.scheduling.services import appointment_reschedule
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def _path(appointment, action):
    return appointment_link_url(appointment=appointment, action=action).split("localhost:8000", 1)[-1]


def test_the_confirm_link_shows_the_session_and_confirms_on_post(client, appointment):
    path = _path(appointment, "confirm")
    page = client.get(path)
    assert page.status_code == 200
    assert "Theo" in page.content.decode()
    assert not AppointmentConfirmation.objects.exists()  # a mail scanner following the link changes nothing
    assert client.post(path).status_code == 200
    assert AppointmentConfirmation.objects.get().source == "link"
    assert client.post(path).status_code == 200
    assert AppointmentConfirmation.objects.count() == 1


def test_the_cancel_link_cancels_under_the_clinics_policy(client, appointment):
    path = _path(appointment, "cancel")
    assert "late-cancellation fee applies" not in client.get(path).content.decode()
    response = client.post(path)
    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancelled_by == appointment.patient.user
    assert Message.objects.filter(purpose="appointment_cancelled").count() == 1


def test_cancelling_inside_the_window_by_link_is_a_late_cancellation(client, appointment):
    path = _path(appointment, "cancel")
    with time_machine.travel(appointment.start - dt.timedelta(hours=3)):
        assert "late-cancellation fee applies" in client.get(path).content.decode()
        client.post(path)
    appointment.refresh_from_db()
    assert appointment.status == "late_cancelled"


def test_a_link_expires_when_the_session_starts(client, appointment):
    path = _path(appointment, "confirm")
    with time_machine.travel(appointment.start + dt.timedelta(minutes=1)):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
    assert not AppointmentConfirmation.objects.exists()


def test_a_dead_link_says_why_on_the_sites_own_page_with_the_clinics_number(client, appointment):
    path = _path(appointment, "cancel")
    with time_machine.travel(appointment.start + dt.timedelta(minutes=1)):
        page = client.get(path).content.decode()
    assert "This link has expired: the session has already started." in page
    assert 'href="tel:617-555-0100"' in page and "Harbor Mind-Body Clinic" in page


def test_a_signed_out_link_page_shows_the_clinics_number_and_leads_to_no_sign_in(client, appointment):
    page = client.get(_path(appointment, "cancel")).content.decode()
    assert 'href="tel:617-555-0100"' in page
    assert 'href="/"' not in page and "/accounts/login" not in page  # the front page only asks to sign in


def test_an_altered_link_is_refused(client, appointment):
    token = appointment_link_token(appointment=appointment, action="cancel")
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.post(f"/messages/appointment/cancel/{forged}/").status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_a_link_signed_with_another_key_is_refused(client, appointment):
    payload = {"a": appointment.pk, "x": "cancel", "s": int(appointment.start.timestamp())}
    forged = signing.dumps(payload, key="not-the-clinics-secret", salt=SALT, compress=True)
    assert client.post(f"/messages/appointment/cancel/{forged}/").status_code == 404


def test_a_confirm_link_cannot_cancel(client, appointment):
    token = appointment_link_token(appointment=appointment, action="confirm")
    assert client.post(f"/messages/appointment/cancel/{token}/").status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_links_from_before_a_reschedule_stop_working(client, appointment, personas):
    old = _path(appointment, "cancel")
    appointment_reschedule(
        appointment=appointment,
        actor=personas.front_desk,
        start=appointment.start + dt.timedelta(hours=2),
        override_reason="x",
    )
    assert client.post(old).status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert client.get(_path(appointment, "cancel")).status_code == 200


def test_a_cancelled_session_cannot_be_cancelled_again_by_link(client, appointment):
    path = _path(appointment, "cancel")
    client.post(path)
    response = client.post(path)
    assert response.status_code == 409
    assert "This session was already cancelled on" in response.content.decode()


def test_staff_can_tell_which_sessions_are_confirmed(client, appointment, personas, django_assert_num_queries):
    from apps.notifications.selectors import with_confirmation
    from apps.scheduling.models import Appointment

    other = AppointmentFactory(therapist=personas.therapist, start=appointment.start + dt.timedelta(hours=2))
    client.post(_path(appointment, "confirm"))
    sessions = Appointment.objects.filter(pk__in=[appointment.pk, other.pk])
    with django_assert_num_queries(1):
        rows = {a.pk: (a.confirmed_at is not None, a.confirmed_via) for a in with_confirmation(sessions)}
    assert rows == {appointment.pk: (True, "link"), other.pk: (False, None)}
    appointment_reschedule(
        appointment=appointment,
        actor=personas.front_desk,
        start=appointment.start + dt.timedelta(hours=4),
        override_reason="x",
    )
    assert with_confirmation(Appointment.objects.filter(pk=appointment.pk)).get().confirmed_at is None


def test_the_patient_chart_links_to_its_messages(personas, login):
    body = login(personas.front_desk).get(f"/patients/{personas.patient.pk}/").content.decode()
    assert f"/messages/?patient={personas.patient.pk}" in body
    assert (
        "/messages/?patient=" not in login(personas.therapist).get(f"/patients/{personas.patient.pk}/").content.decode()
    )


def test_the_calendar_shows_which_sessions_are_confirmed(client, appointment, personas, login):
    other = AppointmentFactory(therapist=personas.therapist, start=appointment.start + dt.timedelta(hours=2))
    client.post(_path(appointment, "confirm"))
    day = timezone.localtime(appointment.start, clock.clinic_tz()).date()
    events = login(personas.front_desk).get(f"/schedule/events/?start={day}&end={day + dt.timedelta(days=1)}").json()
    confirmed = {event["id"]: event["extendedProps"]["confirmed"] for event in events}
    assert confirmed[appointment.pk].startswith("Confirmed by reminder link, ")
    assert confirmed[other.pk] == ""


@pytest.mark.parametrize(
    "payload",
    [
        {"x": "cancel", "a": 1},  # no start
        {"x": "cancel", "s": 1_900_000_000},  # no appointment
        {"x": "cancel", "a": 1, "s": "tomorrow"},
        {"x": "cancel", "a": "one", "s": 1_900_000_000},
        {"x": "cancel", "a": None, "s": 1_900_000_000},
        {"x": "cancel", "a": 1, "s": 10**30},
        {"x": "cancel", "a": 1, "s": 1.9e9},
        {"x": "cancel", "a": True, "s": 1_900_000_000},
        ["cancel", 1, 1_900_000_000],
        "cancel",
    ],
)
def test_a_link_signed_by_the_clinic_but_malformed_is_not_valid(client, payload):
    """Only the clinic can sign such a token, but one from an older format or a bug must read as a bad link, not
    crash the page."""
    token = signing.dumps(payload, salt=SALT, compress=True)
    for answer in (
        client.get(f"/messages/appointment/cancel/{token}/"),
        client.post(f"/messages/appointment/cancel/{token}/"),
    ):
        assert answer.status_code == 404
        assert "This link is not valid." in answer.content.decode()
