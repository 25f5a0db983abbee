"""Booking one session: conflicts, working hours, time off, group meetings, reminders."""

import datetime as dt

import pytest

from apps.core.errors import Conflict, Unprocessable
from apps.notifications.models import Message, MessageStatus
from apps.scheduling import services
from apps.scheduling.models import AppointmentStatus, TimeOff

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def book(c, **overrides):
    args = {
        "actor": c.front_desk,
        "therapist": c.therapist,
        "patient": c.patient,
        "service_type": c.individual,
        "start": at(MONDAY, 10),
        "room": c.willow,
    }
    args.update(overrides)
    return services.appointment_book(**args)


def test_front_desk_books_a_session_and_its_reminder_is_queued_with_it(clinic):
    appointment = book(clinic)
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.end - appointment.start == dt.timedelta(minutes=45)
    reminder = Message.objects.get(subject_id=str(appointment.pk), purpose="reminder_email")
    assert reminder.send_at == appointment.start - dt.timedelta(hours=48)


def test_a_colliding_booking_names_the_appointment_it_collides_with(clinic):
    first = book(clinic)
    with pytest.raises(Conflict) as caught:
        book(clinic, patient=clinic.other_patient, room=clinic.cedar, start=at(MONDAY, 10, 30))
    conflict = caught.value.extra["conflicting_appointment"]
    assert conflict["id"] == first.pk
    assert conflict["collides_on"] == ["therapist"]
    assert caught.value.message == "The therapist already has a session on Mon Jun 1, 10:00 AM–10:45 AM."


def test_room_and_patient_collisions_are_told_apart(clinic):
    first = book(clinic)
    with pytest.raises(Conflict) as caught:
        book(clinic, therapist=clinic.other_therapist, start=at(MONDAY, 10, 15))
    assert caught.value.extra["conflicting_appointment"] == {
        "id": first.pk,
        "start": first.local_start.isoformat(),
        "end": first.local_end.isoformat(),
        "collides_on": ["room", "patient"],
        "location": "Main office",
    }


def test_back_to_back_bookings_are_fine(clinic):
    first = book(clinic)
    second = book(clinic, patient=clinic.other_patient, start=first.end)
    assert second.start == first.end


def test_booking_outside_working_hours_is_refused_with_the_hours(clinic):
    with pytest.raises(Unprocessable) as caught:
        book(clinic, start=at(MONDAY, 19, 30))
    assert "outside" in caught.value.message and "(8:00 AM–8:00 PM)" in caught.value.message
    assert "override_reason" in caught.value.fields


def test_booking_on_a_day_off_is_refused(clinic):
    saturday = MONDAY + dt.timedelta(days=5)
    with pytest.raises(Unprocessable, match="does not work on Saturdays"):
        book(clinic, start=at(saturday, 10))


def test_booking_in_time_off_is_refused(clinic):
    TimeOff.objects.create(therapist=clinic.therapist, start=at(MONDAY, 0), end=at(MONDAY, 23), reason="Conference")
    with pytest.raises(Unprocessable, match="time off"):
        book(clinic)


def test_staff_may_override_working_hours_with_a_reason(clinic):
    appointment = book(clinic, start=at(MONDAY, 19, 30), override_reason="Patient works late; agreed with therapist")
    assert appointment.override_reason == "Patient works late; agreed with therapist"


def test_an_override_is_not_recorded_when_not_needed(clinic):
    assert book(clinic, override_reason="just in case").override_reason == ""


def test_a_group_meeting_has_no_patient(clinic):
    meeting = book(clinic, patient=None, service_type=clinic.group, room=clinic.cedar, start=at(MONDAY, 17))
    assert meeting.patient is None and meeting.end - meeting.start == dt.timedelta(minutes=90)
    assert not Message.objects.filter(subject_id=str(meeting.pk)).exists()


def test_a_group_meeting_collides_with_the_facilitators_own_sessions(clinic):
    session = book(clinic, start=at(MONDAY, 17))
    with pytest.raises(Conflict) as caught:
        book(clinic, patient=None, service_type=clinic.group, room=clinic.cedar, start=at(MONDAY, 17))
    assert caught.value.extra["conflicting_appointment"]["id"] == session.pk


def test_an_individual_session_needs_a_patient_and_a_group_none(clinic):
    with pytest.raises(Unprocessable) as caught:
        book(clinic, patient=None)
    assert "patient" in caught.value.fields
    with pytest.raises(Unprocessable):
        book(clinic, service_type=clinic.group)


def test_telehealth_sessions_get_a_video_link_and_no_room(clinic):
    appointment = book(clinic, room=None, is_telehealth=True)
    assert appointment.telehealth_url.startswith("https://")
    with pytest.raises(Unprocessable):
        book(clinic, room=clinic.cedar, is_telehealth=True, start=at(MONDAY, 12))


def test_naive_times_are_refused(clinic):
    with pytest.raises(Unprocessable):
        book(clinic, start=dt.datetime(2026, 6, 1, 10))


def test_a_refused_booking_leaves_no_reminder_behind(clinic):
    book(clinic)
    before = Message.objects.filter(status=MessageStatus.PENDING).count()
    with pytest.raises(Conflict):
        book(clinic, patient=clinic.other_patient, room=None, start=at(MONDAY, 10))
    assert Message.objects.filter(status=MessageStatus.PENDING).count() == before


def test_a_collision_on_two_things_reads_as_plain_english(clinic):
    book(clinic)
    with pytest.raises(Conflict) as caught:
        book(clinic, therapist=clinic.other_therapist, start=at(MONDAY, 10, 15))
    assert caught.value.message == "The room and the patient already have a session on Mon Jun 1, 10:00 AM–10:45 AM."
