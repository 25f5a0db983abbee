"""Cancellation policy and the session's status flow: booked -> checked_in -> completed, or cancelled / no-show."""

import datetime as dt

import pytest

from apps.core.errors import InvalidTransition, PermissionDenied, Unprocessable
from apps.core.models import ClinicSettings
from apps.notifications.models import Message, MessageStatus
from apps.scheduling import selectors, services
from apps.scheduling.models import AppointmentSeries, AppointmentStatus, SeriesStatus

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def test_cancelling_before_the_window_is_a_plain_cancellation(clinic, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 10) - dt.timedelta(hours=25))
    cancelled = services.appointment_cancel(appointment=session, actor=clinic.patient_user, reason="Travelling")
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert cancelled.cancelled_by == clinic.patient_user and cancelled.cancellation_reason == "Travelling"
    assert not Message.objects.filter(
        subject_id=str(session.pk), purpose__startswith="reminder_", status=MessageStatus.PENDING
    ).exists()


def test_cancelling_inside_the_window_is_a_late_cancellation_recorded_for_billing(clinic, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 10) - dt.timedelta(hours=23))
    cancelled = services.appointment_cancel(appointment=session, actor=clinic.patient_user)
    assert cancelled.status == AppointmentStatus.LATE_CANCELLED
    assert list(selectors.policy_fee_appointments(start=at(MONDAY, 0), end=at(MONDAY, 23))) == [cancelled]


def test_the_window_comes_from_clinic_settings(clinic, session, frozen_now):
    ClinicSettings.objects.update_or_create(id=1, defaults={"cancellation_window_hours": 48})
    frozen_now.move_to(at(MONDAY, 10) - dt.timedelta(hours=30))
    assert services.appointment_cancel(appointment=session, actor=clinic.front_desk).status == "late_cancelled"


def test_staff_may_waive_the_late_fee_with_a_reason(clinic, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 9))
    with pytest.raises(Unprocessable):
        services.appointment_cancel(appointment=session, actor=clinic.front_desk, waive_late_fee=True)
    cancelled = services.appointment_cancel(
        appointment=session, actor=clinic.front_desk, waive_late_fee=True, reason="Therapist ill"
    )
    assert cancelled.status == AppointmentStatus.CANCELLED


def test_a_patient_cannot_waive_their_own_late_fee(clinic, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 9))
    with pytest.raises(PermissionDenied):
        services.appointment_cancel(appointment=session, actor=clinic.patient_user, waive_late_fee=True, reason="x")


def test_a_cancelled_session_cannot_be_cancelled_again(clinic, session):
    services.appointment_cancel(appointment=session, actor=clinic.front_desk)
    with pytest.raises(InvalidTransition):
        services.appointment_cancel(appointment=session, actor=clinic.front_desk)


def test_check_in_then_complete(clinic, session, frozen_now):
    with pytest.raises(InvalidTransition, match=r"on Monday, June 1, 2026: check-in opens that day at 8:00 AM"):
        services.appointment_check_in(appointment=session, actor=clinic.front_desk)
    frozen_now.move_to(at(MONDAY, 9, 55))
    assert services.appointment_check_in(appointment=session, actor=clinic.front_desk).status == "checked_in"
    with pytest.raises(Unprocessable, match="started"):
        services.appointment_complete(appointment=session, actor=clinic.therapist)
    frozen_now.move_to(at(MONDAY, 10, 50))
    done = services.appointment_complete(appointment=session, actor=clinic.therapist)
    assert done.status == AppointmentStatus.COMPLETED and done.completed_at is not None
    # Signing the note completes it again: nothing changes.
    assert services.appointment_complete(appointment=session, actor=clinic.therapist).completed_at == done.completed_at
    with pytest.raises(InvalidTransition):
        services.appointment_cancel(appointment=session, actor=clinic.front_desk)


def test_a_no_show_is_recorded_after_the_start_and_keeps_the_slot(clinic, session, frozen_now):
    with pytest.raises(Unprocessable):
        services.appointment_no_show(appointment=session, actor=clinic.front_desk)
    frozen_now.move_to(at(MONDAY, 10, 20))
    no_show = services.appointment_no_show(appointment=session, actor=clinic.front_desk)
    assert no_show.status == AppointmentStatus.NO_SHOW
    assert list(selectors.policy_fee_appointments(start=at(MONDAY, 0), end=at(MONDAY, 23))) == [no_show]
    with pytest.raises(InvalidTransition):
        services.appointment_check_in(appointment=session, actor=clinic.front_desk)


def test_cancelling_the_rest_of_a_series(clinic, frozen_now):
    booked = services.series_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        first_date=MONDAY,
        local_start_time=dt.time(11, 0),
        occurrence_count=5,
    )
    third = booked.booked[2]
    cancelled = services.series_cancel_following(appointment=third, actor=clinic.front_desk, reason="Ending therapy")
    assert [a.pk for a in cancelled] == [a.pk for a in booked.booked[2:]]
    assert all(a.status == AppointmentStatus.CANCELLED for a in cancelled)
    series = AppointmentSeries.objects.get(pk=booked.series.pk)
    assert series.status == SeriesStatus.ENDED and series.end_date == MONDAY + dt.timedelta(weeks=2) - dt.timedelta(
        days=1
    )
    assert [a.status for a in booked.booked[:2]] == ["booked", "booked"]
