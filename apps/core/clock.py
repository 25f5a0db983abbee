"""The clinic's clock and calendar: aware datetimes in the clinic's time zone."""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

_recorded_at: ContextVar[dt.datetime | None] = ContextVar("clinic_clock_recorded_at", default=None)


def now() -> dt.datetime:
    return _recorded_at.get() or timezone.now()


@contextmanager
def recorded_at(moment: dt.datetime) -> Iterator[None]:
    """Record what the enclosed services do as done at `moment` (aware, in the past): the demo seed plays out its
    history through the real services, so a session completed weeks ago is charged, aged and stated as of that day
    rather than the day the seed ran. Only the clinic's clock moves; Django's own created and updated stamps do not."""
    if timezone.is_naive(moment) or moment > timezone.now():
        raise ValueError("recorded_at takes an aware moment that has already passed")
    token = _recorded_at.set(moment)
    try:
        yield
    finally:
        _recorded_at.reset(token)


def clinic_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_now() -> dt.datetime:
    return timezone.localtime(now(), clinic_tz())


def local_datetime(day: dt.date, at: dt.time, zone: ZoneInfo | None = None) -> dt.datetime:
    """The aware instant of a wall-clock time on a local date in `zone`, the clinic's by default (keeps 15:00 at
    15:00 across DST)."""
    return dt.datetime.combine(day, at).replace(tzinfo=zone or clinic_tz())


def wall_time_missing(value: dt.datetime) -> bool:
    """Whether `value`'s wall-clock time never happens in its zone: the hour skipped when clocks go forward."""
    there = value.astimezone(dt.UTC).astimezone(value.tzinfo)
    return there.replace(tzinfo=None, fold=0) != value.replace(tzinfo=None, fold=0)


def span_of(start: dt.datetime, length: dt.timedelta) -> tuple[dt.datetime, dt.datetime]:
    """`start` and the instant `length` of real time later, in UTC. Python adds to and subtracts aware datetimes of
    one zone by their wall clock, so a session across a DST change would last 15 minutes, or an hour and three
    quarters; in UTC every sum and difference is real time (pages tell them in their zone)."""
    start = start.astimezone(dt.UTC)
    return start, start + length


class ZonePinned(dt.datetime):
    """A local datetime templates print in its own zone, not converted to the page's (as Django's `timezone`
    filter marks its results)."""

    convert_to_local_time = False


def in_zone(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """`value` as wall-clock time in `zone`, printed in that zone by templates."""
    local = timezone.localtime(value, zone)
    return ZonePinned(
        local.year,
        local.month,
        local.day,
        local.hour,
        local.minute,
        local.second,
        local.microsecond,
        tzinfo=local.tzinfo,
        fold=local.fold,
    )


class LocalSpan:
    """`local_start` and `local_end` in the span's zone (the clinic's unless a model says whose), for anything with
    aware `start` and `end`."""

    start: dt.datetime
    end: dt.datetime

    @property
    def zone(self) -> ZoneInfo:
        return clinic_tz()

    @property
    def local_start(self) -> dt.datetime:
        return in_zone(self.start, self.zone)

    @property
    def local_end(self) -> dt.datetime:
        return in_zone(self.end, self.zone)

    @property
    def zone_differs(self) -> bool:
        """Whether the span is timed in another zone than the clinic's (pages then name the zone)."""
        return self.zone.key != settings.TIME_ZONE
