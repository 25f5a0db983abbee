"""Quiet hours: when a text may not go out, in the reader's time."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from apps.core import clock
from apps.core.models import ClinicSettings
from apps.core.time_zones import zone_or_none


def quiet_hours_zone(*, patient=None, context: dict | None = None) -> ZoneInfo:
    """Whose night a text must not wake: the patient's zone when they set one, else the zone of what the message is
    about (a session's location, `time_zone` in its context), else the clinic's. Queueing and sending both ask
    here, so a text held for the morning is not held again by another clock."""
    own = patient.time_zone if patient is not None else ""
    return zone_or_none(own or (context or {}).get("time_zone", "")) or clock.clinic_tz()


def sms_quiet_hours_shift(
    at: dt.datetime, clinic: ClinicSettings | None = None, *, zone: ZoneInfo | None = None
) -> dt.datetime:
    """The first moment at or after `at` outside the clinic's quiet hours (21:00-08:00 by default), in `zone` (the
    clinic's unless given; see `quiet_hours_zone`).

    A text due at night waits for the morning; quiet hours may wrap midnight or not.
    """
    clinic = clinic or ClinicSettings.load()
    zone = zone or clock.clinic_tz()
    start, end = clinic.quiet_hours_start, clinic.quiet_hours_end
    if clinic.quiet_hours_off:
        return at
    local = timezone.localtime(at, zone)
    t = local.time()
    wraps = start > end
    in_quiet = (t >= start or t < end) if wraps else (start <= t < end)
    if not in_quiet:
        return at
    day = local.date() + dt.timedelta(days=1) if wraps and t >= start else local.date()
    return clock.local_datetime(day, end, zone)
