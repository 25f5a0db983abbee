"""Seconds from now to a named wall-clock instant in the clinic's zone, for running the suite at that hour.

    python scripts/clock_offset.py evening   # the coming Wednesday, 19:30
    python scripts/clock_offset.py dst-eve   # 22:30 the evening before the zone's next DST change

The suite must pass whenever it runs; CI runs it a second and third time with the process clock moved
(libfaketime) to these instants, so a test that only holds at some hours fails in every run, not now and then.
"""

import datetime as dt
import os
import sys
from zoneinfo import ZoneInfo

ZONE = ZoneInfo(os.environ.get("CLINIC_TIME_ZONE", "America/New_York"))


def _next_wednesday_evening(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(ZONE)
    day = local.date() + dt.timedelta(days=(2 - local.weekday()) % 7 or 7)
    return dt.datetime.combine(day, dt.time(19, 30), tzinfo=ZONE)


def _eve_of_next_dst_change(now: dt.datetime) -> dt.datetime:
    offset = now.astimezone(ZONE).utcoffset()
    moment = now
    for _ in range(24 * 400):
        moment += dt.timedelta(hours=1)
        if moment.astimezone(ZONE).utcoffset() != offset:
            change_day = moment.astimezone(ZONE).date()
            return dt.datetime.combine(change_day - dt.timedelta(days=1), dt.time(22, 30), tzinfo=ZONE)
    raise SystemExit(f"{ZONE.key} has no DST change within a year; pick another instant")


TARGETS = {"evening": _next_wednesday_evening, "dst-eve": _eve_of_next_dst_change}


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in TARGETS:
        raise SystemExit(f"usage: clock_offset.py {{{'|'.join(TARGETS)}}}")
    now = dt.datetime.now(dt.UTC)
    print(int((TARGETS[sys.argv[1]](now) - now).total_seconds()))


if __name__ == "__main__":
    main()
