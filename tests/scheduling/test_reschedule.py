"""Moving one occurrence, or this and the following ones."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.core import clock
from apps.core.errors import Conflict, InvalidTransition
from apps.notifications.models import Message, MessageStatus
from apps.scheduling import services
from apps.scheduling.models import Appointment, AppointmentSeries, SeriesStatus

from .conftest import MONDAY, at, weekly_at_three

pytestmark = pytest.mark.django_db


@pytest.fixture
def weekly(clinic):
    return weekly_at_three(clinic)


def _local(a):
    return timezone.localtime(a.start, clock.clinic_tz())


def test_moving_one_occurrence_moves_only_it_and_renews_its_reminders(clinic, weekly):
    second = weekly.booked[1]
    old_reminder = Message.objects.get(subject_id=str(second.pk), purpose="reminder_email")
    [moved] = services.appointment_reschedule(
        appointment=second, actor=clinic.front_desk, start=at(MONDAY + dt.timedelta(days=8), 11)
    )
    assert _local(moved) == at(MONDAY + dt.timedelta(days=8), 11)
    assert moved.series_id == weekly.series.pk and moved.room == clinic.willow
    old_reminder.refresh_from_db()
    assert old_reminder.status == MessageStatus.CANCELLED
    assert Message.objects.filter(subject_id=str(second.pk), purpose="reminder_email", status="pending").count() == 1
    assert _local(Appointment.objects.get(pk=weekly.booked[2].pk)).hour == 15


def test_moving_this_and_following_splits_the_series(clinic, weekly):
    third = weekly.booked[2]
    moved = services.appointment_reschedule(
        appointment=third,
        actor=clinic.front_desk,
        start=at(MONDAY + dt.timedelta(weeks=2, days=1), 9),
        scope="following",
    )
    assert [(_local(a).date(), _local(a).hour) for a in moved] == [
        (MONDAY + dt.timedelta(weeks=2, days=1), 9),
        (MONDAY + dt.timedelta(weeks=3, days=1), 9),
    ]
    old = AppointmentSeries.objects.get(pk=weekly.series.pk)
    assert old.status == SeriesStatus.ENDED and old.end_date == MONDAY + dt.timedelta(weeks=2) - dt.timedelta(days=1)
    successor = AppointmentSeries.objects.exclude(pk=old.pk).get()
    assert successor.weekday == 1 and successor.local_start_time == dt.time(9, 0) and successor.occurrence_count == 2
    assert set(Appointment.objects.filter(series=successor).values_list("pk", flat=True)) == {a.pk for a in moved}


def test_moving_a_whole_series_a_week_later_does_not_collide_with_itself(clinic, weekly):
    moved = services.appointment_reschedule(
        appointment=weekly.booked[0],
        actor=clinic.front_desk,
        start=at(MONDAY + dt.timedelta(weeks=1), 15),
        scope="following",
    )
    assert [_local(a).date() for a in moved] == [MONDAY + dt.timedelta(weeks=n) for n in range(1, 5)]
    assert AppointmentSeries.objects.get(pk=weekly.series.pk).status == SeriesStatus.CANCELLED


def test_a_move_into_a_taken_slot_is_refused_and_nothing_moves(clinic, weekly):
    blocker = services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.other_patient,
        service_type=clinic.individual,
        start=at(MONDAY + dt.timedelta(weeks=3), 16),
    )
    with pytest.raises(Conflict) as caught:
        services.appointment_reschedule(
            appointment=weekly.booked[1],
            actor=clinic.front_desk,
            start=at(MONDAY + dt.timedelta(weeks=1), 16),
            scope="following",
        )
    assert caught.value.extra["conflicting_appointment"]["id"] == blocker.pk
    assert [_local(a).hour for a in Appointment.objects.filter(series=weekly.series)] == [15] * 4


def test_a_cancelled_session_cannot_be_moved(clinic, weekly):
    services.appointment_cancel(appointment=weekly.booked[0], actor=clinic.front_desk)
    with pytest.raises(InvalidTransition):
        services.appointment_reschedule(appointment=weekly.booked[0], actor=clinic.front_desk, start=at(MONDAY, 9))


def test_a_telehealth_session_handed_to_another_therapist_gets_a_video_link_of_its_own(clinic):
    """The link is the only key to the video room: the therapist the session is taken from (someone leaving, say)
    must not keep one that opens their colleague's session with the patient. A move that keeps the therapist keeps
    the link the patient already has."""
    session = services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=at(MONDAY, 10),
        room=None,
        is_telehealth=True,
    )
    first_link = session.telehealth_url
    [later] = services.appointment_reschedule(appointment=session, actor=clinic.front_desk, start=at(MONDAY, 11))
    assert later.telehealth_url == first_link
    [handed] = services.appointment_reschedule(
        appointment=later, actor=clinic.front_desk, start=at(MONDAY, 11), therapist=clinic.other_therapist
    )
    assert handed.therapist == clinic.other_therapist and handed.is_telehealth
    assert handed.telehealth_url.startswith("https://") and handed.telehealth_url != first_link
