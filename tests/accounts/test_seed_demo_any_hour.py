"""The demo clinic seeds at any instant: every hour of the day, every weekday, DST changes, New Year's Eve, a leap day.

A user runs `make run` whenever they like, so the seed (and its second, idempotent run) must succeed at every
instant and leave a clinic whose history is consistent with that instant; and run again days or weeks later, it
brings the clinic up to that later instant.
"""

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from apps.billing.models import Charge, Payment, PaymentPlan
from apps.notes.models import SessionNote
from apps.notes.selectors import overdue_counts_by_therapist, overdue_cutoff
from apps.notifications.models import Message, MessageStatus
from apps.patients.models import Patient
from apps.programs.models import Attendance, ProgramMeeting
from apps.programs.selectors import meeting_attendance_sheet
from apps.scheduling.models import BLOCKING_STATUSES, Appointment, AppointmentSeries, AppointmentStatus, SeriesStatus
from apps.scheduling.services import series_horizon

pytestmark = pytest.mark.django_db

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


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.clock_sweep
@pytest.mark.parametrize("instant", WEEK + EDGES, ids=lambda at: at.strftime("%a-%Y%m%d-%H%M") + f"f{at.fold}")
def test_the_demo_seeds_twice_at_any_instant(instant):
    with time_machine.travel(instant, tick=False):
        _seed()
        first = sorted(Appointment.objects.values_list("pk", "status"))
        _seed()
        assert sorted(Appointment.objects.values_list("pk", "status")) == first
        _assert_demo_invariants(instant)


def _state() -> dict:
    return {
        "sessions": sorted(Appointment.objects.values_list("pk", "status", "start")),
        "notes": sorted(SessionNote.objects.values_list("pk", "status", "signed_at", "cosigned_at")),
        "charges": Charge.objects.count(),
        "payments": Payment.objects.count(),
        "attendance": sorted(Attendance.objects.values_list("pk", "status")),
        "messages": sorted(Message.objects.values_list("pk", "status")),
    }


def _at(day: dt.date, hour: int, minute: int = 30) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CLINIC_TZ)


# (first run, the run again later): the next day, a week on, over a weekend, later the same day, across each DST
# change, and after the series' horizon has run out (the beat job stood still the while).
RERUNS = [
    (_at(dt.date(2026, 11, 16), 10), _at(dt.date(2026, 11, 17), 10)),
    (_at(dt.date(2026, 11, 18), 19), _at(dt.date(2026, 11, 25), 19)),
    (_at(dt.date(2026, 11, 20), 23), _at(dt.date(2026, 11, 30), 8)),
    (_at(dt.date(2026, 11, 17), 8), _at(dt.date(2026, 11, 17), 17)),
    (_at(dt.date(2026, 3, 5), 14), _at(dt.date(2026, 3, 10), 9)),
    (_at(dt.date(2026, 10, 29), 16), _at(dt.date(2026, 11, 4), 12)),
    (_at(dt.date(2026, 9, 1), 10), _at(dt.date(2026, 12, 10), 15)),
    # Three weeks on, in the evening a group meets: its earlier meetings are over, the one under way is not.
    (_at(dt.date(2026, 11, 17), 9), _at(dt.date(2026, 12, 8), 18, 45)),
    # Two weeks and a half on, on a Sunday: a plan instalment and a week of sessions' payments have come due since.
    (_at(dt.date(2026, 11, 19), 21), _at(dt.date(2026, 12, 6), 7)),
]


def _assert_caught_up(first: dt.datetime, later: dt.datetime) -> None:
    _assert_demo_invariants(later)
    sessions = Appointment.objects.filter(patient__isnull=False)
    # What was still to come at the first run and has ended since was held (or missed) as the first run's were.
    since = sessions.filter(start__gte=first, end__lte=later)
    if later - first >= dt.timedelta(days=1):
        assert since.filter(status=AppointmentStatus.COMPLETED).exists()
    # Every note signed within hours of its session, never at the run's instant.
    for note in SessionNote.objects.filter(status="signed").select_related("appointment"):
        assert note.appointment.end <= note.signed_at <= min(note.appointment.end + dt.timedelta(hours=3), later)
    # The open-ended series reach the horizon from the later run, as the beat job keeps them.
    open_ended = AppointmentSeries.objects.filter(
        status=SeriesStatus.ACTIVE, occurrence_count__isnull=True, end_date__isnull=True
    )
    assert open_ended.exists()
    horizon = series_horizon(later.date())
    for series in open_ended:
        assert horizon - dt.timedelta(weeks=series.interval_weeks) < series.booked_through <= horizon
    # The patients who paid for their sessions went on paying: every session charged since the first run, long
    # enough ago to be paid by now (at most five days on), has its payment.
    payers = Patient.objects.filter(payments__received_at__lte=first, payment_plans=None).distinct()
    due = Charge.objects.filter(
        patient__in=payers, amount__gt=0, posted_at__gt=first, posted_at__lte=later - dt.timedelta(days=6)
    ).count()
    assert Payment.objects.filter(patient__in=payers, received_at__gt=first).count() >= due
    if later - first >= dt.timedelta(days=14):
        assert due, "sessions charged between the runs"
    # A payment plan's instalments were paid on their due days, those due since the first run too.
    plans = PaymentPlan.objects.all()
    assert plans.exists()
    for plan in plans:
        due_before_today = plan.instalments.filter(due_on__lt=later.astimezone(CLINIC_TZ).date()).count()
        assert Payment.objects.filter(plan=plan).count() >= due_before_today
    # Attendance was taken at every group meeting that has ended, for every member, as of the meeting's end.
    ended = ProgramMeeting.objects.filter(appointment__end__lt=later, appointment__status__in=BLOCKING_STATUSES)
    for meeting in ended.select_related("program", "appointment"):
        assert all(record is not None for _, record in meeting_attendance_sheet(meeting=meeting)), meeting
    assert not Attendance.objects.filter(meeting__appointment__end__gte=later).exists()
    if later - first >= dt.timedelta(days=21):
        assert Attendance.objects.filter(status="attended").exists()


def _seed_then_again(first: dt.datetime, later: dt.datetime) -> str:
    """The second run's printout, after checking the clinic it leaves and that a third run changes nothing."""
    with time_machine.travel(first, tick=False):
        _seed()
    with time_machine.travel(later, tick=False):
        printout = _seed()
        caught_up = _state()
        _seed()
        assert _state() == caught_up, "a third run at the same instant changes nothing"
        _assert_caught_up(first, later)
    return printout


def test_the_demo_seeded_again_across_the_spring_dst_change_is_brought_up_to_the_clock():
    printout = _seed_then_again(*RERUNS[4])
    # The run again still prints the logins, and says what it brought up to date.
    assert "frontdesk@clinic.test" in printout and "password clinic-demo-2026" in printout
    played = re.search(r"Brought up to the clock: (\d+) sessions that ended since the last run", printout)
    assert played and int(played[1]) > 0


@pytest.mark.clock_sweep
@pytest.mark.parametrize("first, later", RERUNS, ids=lambda at: at.strftime("%a-%Y%m%d-%H%M"))
def test_the_demo_seeded_again_later_is_brought_up_to_the_clock(first, later):
    _seed_then_again(first, later)
