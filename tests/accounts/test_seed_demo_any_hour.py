"""The demo clinic seeds at any instant: every hour of the day, every weekday, DST changes, New Year's Eve, a leap day.

A user runs `make run` whenever they like, so the seed (and its second, idempotent run) must succeed at every
instant and leave a clinic whose history is consistent with that instant.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from apps.billing.models import Charge, Payment
from apps.notes.models import SessionNote
from apps.notes.selectors import overdue_counts_by_therapist, overdue_cutoff
from apps.notifications.models import Message, MessageStatus
from apps.scheduling.models import Appointment, AppointmentStatus

pytestmark = [pytest.mark.django_db, pytest.mark.clock_sweep]

CLINIC_TZ = ZoneInfo(settings.TIME_ZONE)
# A week clear of DST changes and holidays; half past the hour lands inside sessions and after others end.
# Every hour of the day on two weekdays three days apart, so each weekday is seen at six or seven hours spread
# over the day, plus every weekday at 19:30, when sessions have ended but the day is not over (the seed once failed
# there from Monday to Thursday).
SWEEP_MONDAY = dt.date(2026, 11, 16)
WEEK = [
    dt.datetime.combine(SWEEP_MONDAY + dt.timedelta(days=day), dt.time(hour, 30), tzinfo=CLINIC_TZ)
    for day, hour in sorted(
        {(day, hour) for hour in range(24) for day in (hour % 7, (hour + 3) % 7)} | {(day, 19) for day in range(7)}
    )
]
# Both DST change days at 01:30, 02:30 (missing in spring, doubled in autumn) and 03:30, then the year's and
# a leap year's edges.
EDGES = [
    dt.datetime(2026, month, day, hour, 30, fold=fold, tzinfo=CLINIC_TZ)
    for month, day in ((3, 8), (11, 1))
    for hour, fold in ((1, 0), (1, 1), (2, 0), (3, 0))
] + [
    dt.datetime(2026, 12, 31, 23, 59, tzinfo=CLINIC_TZ),
    dt.datetime(2028, 2, 29, 10, 30, tzinfo=CLINIC_TZ),
    dt.datetime(2028, 2, 29, 19, 30, tzinfo=CLINIC_TZ),
]
ACTIVE = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)


def _overlaps(column: str) -> int:
    """Pairs of active sessions that share a therapist, patient or room (`column`, never input) and overlap."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
              ON a.id < b.id AND a.{column} = b.{column} AND a.start < b."end" AND b.start < a."end"
            WHERE a.status = ANY(%s) AND b.status = ANY(%s)
            """,
            [list(ACTIVE), list(ACTIVE)],
        )
        return cursor.fetchone()[0]


def _assert_demo_invariants(now: dt.datetime) -> None:
    sessions = Appointment.objects.filter(patient__isnull=False)
    assert sessions.filter(end__lte=now).exists(), "the demo has a history"
    assert sessions.filter(start__gt=now, status=AppointmentStatus.BOOKED).exists(), "and a future"
    for column in ("therapist_id", "patient_id", "room_id"):
        assert _overlaps(column) == 0, column
    assert not sessions.filter(end__lte=now, status__in=["booked", "checked_in"]).exists(), "past without outcome"
    assert not sessions.filter(start__gt=now, status__in=["checked_in", "completed", "no_show"]).exists()
    # Each charge is posted on its session's day (the outcome recorded as the session ended), never on the seed's.
    charges = Charge.objects.all()
    assert charges.exists()
    assert {c.posted_at.astimezone(CLINIC_TZ).date() == c.service_date <= now.date() for c in charges} == {True}
    # Most sessions were paid for, each payment taken after its session and never after now.
    assert Payment.objects.exists()
    assert not Payment.objects.filter(received_at__gt=now).exists()
    # Seeding history notifies nobody: every message still to go out is about something yet to come.
    past_ids = {str(pk) for pk in sessions.filter(start__lte=now).values_list("pk", flat=True)}
    pending = Message.objects.filter(status=MessageStatus.PENDING, subject_type="scheduling.appointment")
    assert not [m.purpose for m in pending if m.subject_id in past_ids]
    # The therapists keep up with their notes: none is overdue, and no signed note waits overdue for a co-signature.
    assert not list(overdue_counts_by_therapist())
    awaiting = SessionNote.objects.filter(cosign_required=True, cosigned_at__isnull=True)
    assert not awaiting.filter(signed_at__lte=overdue_cutoff()).exists()


@pytest.mark.parametrize("instant", WEEK + EDGES, ids=lambda at: at.strftime("%a-%Y%m%d-%H%M") + f"f{at.fold}")
def test_the_demo_seeds_twice_at_any_instant(instant):
    with time_machine.travel(instant, tick=False):
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        first = sorted(Appointment.objects.values_list("pk", "status"))
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert sorted(Appointment.objects.values_list("pk", "status")) == first
        _assert_demo_invariants(instant)
