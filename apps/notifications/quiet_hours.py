"""Quiet hours: when a text may not go out, in clinic time."""

import datetime as dt

from django.utils import timezone

from apps.core import clock
from apps.core.models import ClinicSettings


def sms_quiet_hours_shift(at: dt.datetime, clinic: ClinicSettings | None = None) -> dt.datetime:
    """The first moment at or after `at` outside the clinic's quiet hours (clinic time; 21:00-08:00 by default).

    A text due at night waits for the morning; quiet hours may wrap midnight or not.
    """
    clinic = clinic or ClinicSettings.load()
    start, end = clinic.quiet_hours_start, clinic.quiet_hours_end
    if start == end:
        return at
    local = timezone.localtime(at, clock.clinic_tz())
    t = local.time()
    wraps = start > end
    in_quiet = (t >= start or t < end) if wraps else (start <= t < end)
    if not in_quiet:
        return at
    day = local.date() + dt.timedelta(days=1) if wraps and t >= start else local.date()
    return clock.local_datetime(day, end)
