"""The week calendar and its late-cancel fees find a week's sessions, cancelled ones included, through the span's
GiST index (`appointment_span`), not by reading every session that ever started before the week ends: the
exclusion constraints' indexes hold only sessions that block a time, and a busy clinic has years of history."""

import datetime as dt

import pytest
from django.db import connection

from apps.core import clock
from apps.scheduling.models import Appointment, AppointmentStatus
from apps.scheduling.selectors import overlapping

pytestmark = pytest.mark.django_db


def _plan(queryset) -> str:
    # A few test rows are cheapest read whole: with scans forbidden, only a plan driven by an index that serves the
    # overlap is left, and Postgres falls back to a "Seq Scan" when none does.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


def _week():
    start = clock.local_datetime(clock.local_now().date(), dt.time(0))
    return start, start + dt.timedelta(days=7)


def test_every_session_of_a_week_is_found_through_the_span_index():
    start, end = _week()
    plan = _plan(overlapping(Appointment.objects.all(), start=start, end=end))
    assert "appointment_span" in plan and "Seq Scan on scheduling_appointment" not in plan, plan


def test_the_late_cancelled_sessions_of_a_week_are_found_through_it_too():
    start, end = _week()
    late = Appointment.objects.filter(status=AppointmentStatus.LATE_CANCELLED)
    plan = _plan(overlapping(late, start=start, end=end))
    assert "appointment_span" in plan and "Seq Scan on scheduling_appointment" not in plan, plan
