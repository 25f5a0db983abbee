"""Cancelling or moving "this and the following" acts on the series the session is in now, read under its lock, not
the one it was in when the caller loaded it: a session moved into a new series meanwhile (its own "this and the
following" split) never ends or splits the series it left."""

import datetime as dt

import pytest
from django.db import transaction

from apps.scheduling import services
from apps.scheduling.models import Appointment, AppointmentSeries, AppointmentStatus, SeriesStatus
from tests.locking import waiting_on_own_transaction

from .conftest import MONDAY, at, weekly_at_three

TUESDAY = MONDAY + dt.timedelta(days=1)
WEDNESDAY = MONDAY + dt.timedelta(days=2)


def _split_from_the_third(clinic, weekly) -> AppointmentSeries:
    """The third session and the following moved to Tuesdays at 9: a new series; the first ends the day before."""
    services.appointment_reschedule(
        appointment=weekly.booked[2],
        actor=clinic.front_desk,
        start=at(TUESDAY + dt.timedelta(weeks=2), 9),
        scope="following",
    )
    return AppointmentSeries.objects.exclude(pk=weekly.series.pk).get()


def _first_series_as_split(weekly) -> None:
    first = AppointmentSeries.objects.get(pk=weekly.series.pk)
    assert (first.status, first.end_date) == (SeriesStatus.ENDED, MONDAY + dt.timedelta(weeks=2, days=-1))


@pytest.mark.django_db
def test_cancelling_the_following_from_a_session_moved_to_a_new_series_ends_the_new_one(clinic):
    weekly = weekly_at_three(clinic, count=6)
    fourth = Appointment.objects.get(pk=weekly.booked[3].pk)  # loaded while still in the first series
    successor = _split_from_the_third(clinic, weekly)

    cancelled = services.series_cancel_following(appointment=fourth, actor=clinic.front_desk)

    assert [a.pk for a in cancelled] == [a.pk for a in weekly.booked[3:]]
    successor.refresh_from_db()
    assert (successor.status, successor.end_date) == (SeriesStatus.ENDED, TUESDAY + dt.timedelta(weeks=3, days=-1))
    _first_series_as_split(weekly)
    assert Appointment.objects.get(pk=weekly.booked[2].pk).status == AppointmentStatus.BOOKED


@pytest.mark.django_db(transaction=True)
def test_moving_the_following_from_a_session_moved_to_a_new_series_waits_for_that_series(clinic):
    weekly = weekly_at_three(clinic, count=6)
    fourth = Appointment.objects.get(pk=weekly.booked[3].pk)  # loaded while still in the first series
    successor = _split_from_the_third(clinic, weekly)

    def move():
        return services.appointment_reschedule(
            appointment=fourth,
            actor=clinic.front_desk,
            start=at(WEDNESDAY + dt.timedelta(weeks=3), 9),
            scope="following",
        )

    # A change to the new series in flight (cancelling its following sessions from the fifth, say) takes the series,
    # then its sessions: the move waits for it before taking any session, so neither deadlocks on the other.
    with transaction.atomic():
        AppointmentSeries.objects.select_for_update().get(pk=successor.pk)
        finish = waiting_on_own_transaction(move)
        Appointment.objects.select_for_update().get(pk=weekly.booked[4].pk)
        assert AppointmentSeries.objects.count() == 2
    moved = finish()

    assert isinstance(moved, list), moved
    assert [a.pk for a in moved] == [a.pk for a in weekly.booked[3:]]
    successor.refresh_from_db()
    assert (successor.status, successor.end_date) == (SeriesStatus.ENDED, TUESDAY + dt.timedelta(weeks=3, days=-1))
    _first_series_as_split(weekly)
    assert AppointmentSeries.objects.count() == 3
