"""Reminders and notices say a session's time in its location's zone (naming the zone when it is not the clinic's),
where an in-person session is, and the patient's own time when they set another zone; texts keep to the quiet
hours of the patient's zone, else the session's."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.core.models import ClinicSettings
from apps.notifications.delivery import message_send
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from apps.patients.models import Patient
from apps.patients.services import patient_reminder_preferences_set
from apps.scheduling import services
from tests.places import pacific_office, pacific_room

from .conftest import MONDAY

pytestmark = pytest.mark.django_db

PACIFIC = ZoneInfo("America/Los_Angeles")


def _pacific(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour)).replace(tzinfo=PACIFIC)


def _book_in_pasadena(clinic, start, **extra):
    office = pacific_office()
    place = {"location": office} if extra.get("is_telehealth") else {"room": pacific_room(office)}
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=start,
        override_reason="Visiting the Pasadena office",
        **place,
        **extra,
    )


def _rendered(purpose: str, channel: str = "email"):
    message = Message.objects.get(purpose=purpose, channel=channel)
    return message_render(template=message.template, context=message.context, channel=channel)


def _patient_zone(clinic, name: str) -> None:
    Patient.objects.filter(pk=clinic.patient.pk).update(time_zone=name)
    clinic.patient.refresh_from_db()


def test_a_session_at_another_office_is_told_in_its_zone_with_the_place_and_address(clinic):
    _book_in_pasadena(clinic, _pacific(MONDAY, 10))

    reminder = _rendered("reminder_email")
    booked = _rendered("appointment_booked")

    assert reminder.subject == "Reminder: your session on Monday, June 1 at 10:00 AM Los Angeles time"
    assert booked.subject == "Booked: your session on Monday, June 1 at 10:00 AM Los Angeles time"
    for part in (reminder.text, reminder.html, booked.text, booked.html):
        assert "Monday, June 1, 2026 at 10:00 AM Los Angeles time" in part
        assert "Pasadena office, Sequoia, 200 Colorado Blvd, Pasadena, CA 91101" in part
        assert "your time" not in part  # the patient has not set a zone of their own


def test_a_patient_in_another_zone_is_also_told_their_own_time(clinic):
    _patient_zone(clinic, "America/New_York")
    _book_in_pasadena(clinic, _pacific(MONDAY, 10), is_telehealth=True)

    reminder = _rendered("reminder_email")

    assert (
        reminder.subject == "Reminder: your session on Monday, June 1 at 10:00 AM Los Angeles time (1:00 PM your time)"
    )
    assert "video session" in _rendered("appointment_booked").text
    assert "Pasadena" not in reminder.text  # a video session names no office


def test_the_patients_own_time_names_their_weekday_when_the_date_differs_there(clinic):
    _patient_zone(clinic, "Asia/Tokyo")
    _book_in_pasadena(clinic, _pacific(MONDAY, 10))

    assert _rendered("reminder_email").subject.endswith("at 10:00 AM Los Angeles time (Tue 2:00 AM your time)")


def test_a_session_at_the_clinics_zone_names_its_clock_in_the_subject_too(clinic):
    _patient_zone(clinic, "America/Los_Angeles")
    services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=dt.datetime.combine(MONDAY, dt.time(10)).replace(tzinfo=ZoneInfo("America/New_York")),
        room=clinic.willow,
    )

    subject = _rendered("reminder_email").subject
    assert subject == "Reminder: your session on Monday, June 1 at 10:00 AM New York time (7:00 AM your time)"


def test_a_cancellation_is_dated_in_the_sessions_zone_not_the_clinics(clinic):
    # 9 PM in Pasadena is already Tuesday in New York.
    appointment = _book_in_pasadena(clinic, _pacific(MONDAY, 21))
    services.appointment_cancel(actor=clinic.front_desk, appointment=appointment, reason="Patient asked")

    cancelled = _rendered("appointment_cancelled")

    assert cancelled.subject == "Your session on Monday, June 1 is cancelled"
    assert "Monday, June 1, 2026 at 9:00 PM Los Angeles time" in cancelled.text


def _texts(clinic, hours: int) -> None:
    patient_reminder_preferences_set(
        actor=clinic.front_desk, patient=clinic.patient, email=False, sms=True, sms_consent=True
    )
    clinic.patient.refresh_from_db()
    row = ClinicSettings.load()
    row.reminder_sms_lead_hours = hours
    row.save()


def test_a_text_keeps_to_the_quiet_hours_of_the_sessions_zone(clinic):
    _texts(clinic, hours=6)
    appointment = _book_in_pasadena(clinic, _pacific(MONDAY, 10))

    # Due 4 AM in Pasadena (7 AM in New York): held to 8 AM Pasadena time, not 8 AM in New York.
    [text] = Message.objects.filter(purpose="reminder_sms")
    assert text.send_at == _pacific(MONDAY, 8)
    assert text.send_at < appointment.start


def test_a_text_keeps_to_the_quiet_hours_of_the_patients_own_zone(clinic):
    _texts(clinic, hours=6)
    _patient_zone(clinic, "America/New_York")
    _book_in_pasadena(clinic, _pacific(MONDAY, 10))

    [text] = Message.objects.filter(purpose="reminder_sms")
    assert text.send_at == _pacific(MONDAY, 5)  # 8 AM where the patient lives


def test_sending_does_not_hold_back_a_text_that_is_daytime_in_the_sessions_zone(clinic):
    _texts(clinic, hours=2)
    _book_in_pasadena(clinic, _pacific(MONDAY, 20))
    [text] = Message.objects.filter(purpose="reminder_sms")
    assert text.send_at == _pacific(MONDAY, 18)  # 9 PM in New York, but daytime in Pasadena

    with time_machine.travel(text.send_at, tick=False):
        assert message_send(message_id=text.pk) != "deferred"


def test_a_session_moved_to_another_office_is_told_its_old_time_on_its_old_offices_clock(clinic, session):
    """Monday 10:00 in New York moved to Tuesday 10:00 in Pasadena: it was at 10:00, not at 7:00 AM PDT."""
    Patient.objects.filter(pk=clinic.patient.pk).update(reminder_sms=True, sms_consent_at=clinic.patient.created_at)
    clinic.patient.refresh_from_db()
    services.appointment_reschedule(
        appointment=session,
        actor=clinic.front_desk,
        start=_pacific(MONDAY + dt.timedelta(days=1), 10),
        room=pacific_room(pacific_office()),
        override_reason="Visiting the Pasadena office",
    )

    email = _rendered("appointment_moved")
    assert "Now Tuesday, June 2, 2026 at 10:00 AM Los Angeles time" in email.text
    assert "(was Monday, June 1 at 10:00 AM" in email.text and "7:00 AM" not in email.text
    assert "7:00 AM" not in email.html
    text = _rendered("appointment_moved", channel="sms").sms
    assert "(was Mon Jun 1 at 10:00 AM" in text and "7:00 AM" not in text
