"""The clinic's clock and calendar: aware datetimes in the clinic's time zone."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def clinic_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_now() -> dt.datetime:
    return timezone.localtime(now(), clinic_tz())


def local_datetime(day: dt.date, at: dt.time) -> dt.datetime:
    """The aware instant of a wall-clock time on a local date (keeps 15:00 at 15:00 across DST)."""
    return dt.datetime.combine(day, at).replace(tzinfo=clinic_tz())


class LocalSpan:
    """`local_start` and `local_end` in the clinic's zone, for anything with aware `start` and `end`."""

    start: dt.datetime
    end: dt.datetime

    @property
    def local_start(self) -> dt.datetime:
        return timezone.localtime(self.start, clinic_tz())

    @property
    def local_end(self) -> dt.datetime:
        return timezone.localtime(self.end, clinic_tz())
