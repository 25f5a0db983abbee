"""Working hours as the staff calendar's grid shades them: FullCalendar business hours per therapist, and the span
of hours the grid shows, on the grid's clock (the clinic's, or one location's when the calendar is filtered).

Hours are kept in their office's local time. On a grid in another zone they move by the difference between the
two clocks in the week the calendar opens on (the West office's 9:00–17:00 Pacific is 12:00–20:00 on the clinic's
New York grid), and a block the move carries over midnight is split in two days."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apps.core import clock

from .zones import location_zone

# The grid shows at least these hours, and longer when someone works earlier or later.
GRID_FROM, GRID_TO = dt.time(7, 0), dt.time(21, 0)
MIDNIGHT = "24:00"


@dataclass(frozen=True)
class Shading:
    business_hours: dict[int, list[dict]]  # therapist id -> FullCalendar business hours (weeks start on Sunday = 0)
    grid_from: str  # "07:00:00"
    grid_to: str  # "21:00:00", or up to "24:00:00"


def _on_grid(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.date, str, str]]:
    """A block as (day, start, end) pieces on the grid's clock: one piece, or two when it crosses midnight."""
    if start.date() == end.date():
        return [(start.date(), f"{start:%H:%M}", f"{end:%H:%M}")]
    pieces = [(start.date(), f"{start:%H:%M}", MIDNIGHT)]
    if end.time() != dt.time(0):
        pieces.append((end.date(), "00:00", f"{end:%H:%M}"))
    return pieces


def calendar_shading(hours, *, zone: ZoneInfo, week_of: dt.date) -> Shading:
    """`hours` (WorkingHours rows) on a grid in `zone`, moved by the clocks' difference in the week of `week_of`."""
    monday = week_of - dt.timedelta(days=week_of.weekday())
    business: dict[int, list[dict]] = {}
    starts, ends = [GRID_FROM.strftime("%H:%M")], [GRID_TO.strftime("%H:%M")]
    for block in hours:
        day = monday + dt.timedelta(days=block.weekday)
        kept_in = location_zone(block.location_id)
        start = clock.local_datetime(day, block.start_time, kept_in).astimezone(zone)
        end = clock.local_datetime(day, block.end_time, kept_in).astimezone(zone)
        for piece_day, piece_start, piece_end in _on_grid(start, end):
            business.setdefault(block.therapist_id, []).append(
                {"daysOfWeek": [(piece_day.weekday() + 1) % 7], "startTime": piece_start, "endTime": piece_end}
            )
            starts.append(piece_start)
            ends.append(piece_end)
    latest_hour, latest_minute = (int(part) for part in max(ends).split(":"))
    return Shading(
        business_hours=business,
        grid_from=f"{min(starts)[:2]}:00:00",
        # The top of the hour after the latest hours end.
        grid_to=f"{latest_hour + (1 if latest_minute else 0):02d}:00:00",
    )


def sessions_span(rows) -> tuple[str, str] | None:
    """The hours the sessions in `rows` (selectors.calendar_appointments rows) take on the grid's clock, from the
    top of the hour of the earliest start to the top of the hour after the latest end; the whole day when one
    crosses midnight. None without sessions. The grid widens its working hours to this span so that no session
    falls outside it (a 9 PM session booked with an override, a 1 AM no-show)."""
    starts, ends = [], []
    for row in rows:
        start, end = dt.datetime.fromisoformat(row["start_wall"]), dt.datetime.fromisoformat(row["end_wall"])
        if end.date() != start.date() and end.time() != dt.time(0):
            return ("00:00:00", "24:00:00")
        starts.append(start.hour)
        ends.append(24 if end.date() != start.date() else end.hour + (1 if end.time() > dt.time(end.hour) else 0))
    if not starts:
        return None
    return (f"{min(starts):02d}:00:00", f"{max(ends):02d}:00:00")
