"""How times and dates read for people: every staff page, portal page, message and refusal says a clock time as
"6:00 PM", a span of one day as "6:00 PM–7:30 PM", a date as "April 12, 1980" and when something happened as
"Apr 12, 2026 6:00 PM", so no two places disagree and
no date reads as another day to someone used to day-first dates ("04/12/1980")."""

import datetime as dt

from django.utils import dateformat

CLOCK_FORMAT = "g:i A"  # 6:00 PM
DAY_FORMAT = "F j, Y"  # April 12, 1980
MOMENT_FORMAT = f"M j, Y {CLOCK_FORMAT}"  # Apr 12, 2026 6:00 PM


def clock_text(moment: dt.time | dt.datetime) -> str:
    """A wall-clock time as people say it ("6:00 PM"); a datetime is read on its own clock (pass it local)."""
    return dateformat.time_format(moment, CLOCK_FORMAT)


def clock_span_text(start: dt.time | dt.datetime, end: dt.time | dt.datetime) -> str:
    """A span within a day, both ends named ("11:30 AM–12:15 PM"), each read on its own clock."""
    return f"{clock_text(start)}–{clock_text(end)}"


def day_text(day: dt.date) -> str:
    """A date in words ("April 12, 1980")."""
    return dateformat.format(day, DAY_FORMAT)


def weekday_moment_text(moment: dt.datetime) -> str:
    """A coming session in a notice or a list of dates ("Mon Jun 8, 3:00 PM"), on its own clock."""
    return f"{moment:%a %b} {moment.day}, {clock_text(moment)}"


def moment_text(moment: dt.datetime) -> str:
    """When something happened or ends, in a list or a log ("Apr 12, 2026 6:00 PM"), on its own clock."""
    return dateformat.format(moment, MOMENT_FORMAT)
