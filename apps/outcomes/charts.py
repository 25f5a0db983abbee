"""How a patient's scores are charted: which measures share a graph, and a time axis that spans the data.

Pure functions of series already read (outcomes.selectors.measure_series and the pain scores from notes), so the
page, its JSON endpoint and the tests shape the chart the same way.

The axis is worked out here rather than left to the charting library: given one score it spread ticks over
milliseconds or years, and with none it drew an empty grid starting on 1 January 1970. Here one score gets a
two-week window around it, ticks fall on clinic-local midnights (days, weeks, months or years, at most about
six), and a chart with no scores is not drawn at all.
"""

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .instruments import INSTRUMENTS

MIN_SPAN_DAYS = 14
MAX_TICKS = 6  # a graph is a third of the page wide: more labels run into each other
DAY_STEPS = (1, 2, 3, 7, 14)
MONTH_STEPS = (1, 2, 3, 6)


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    instruments: tuple[str, ...]
    # What the vertical axis counts, and which way is better: every measure here scores more symptoms higher.
    y_title: str
    note_pain: bool = False  # also draws pain now / at worst from session notes


# Mood, pain, and the body-symptom and pain-thought measures, each on a graph of its own so a 0-52 scale does not
# flatten a 0-10 one.
PANELS = (
    Panel("mood", "Mood", ("phq9", "gad7"), y_title="Score (higher is worse)"),
    Panel("pain", "Pain", ("pain_nrs",), y_title="Pain, 0 to 10", note_pain=True),
    Panel("somatic", "Body symptoms and pain thoughts", ("phq15", "pcs"), y_title="Score (higher is worse)"),
)


def _ms(instant: dt.datetime) -> int:
    return int(instant.timestamp() * 1000)


def _midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0)).replace(tzinfo=tz)


def _window(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """[start, end) in whole local days: the days with data, widened to two weeks or padded by about 5%."""
    start, end = first, last + dt.timedelta(days=1)
    days = (end - start).days
    if days < MIN_SPAN_DAYS:
        before = (MIN_SPAN_DAYS - days) // 2
        return start - dt.timedelta(days=before), end + dt.timedelta(days=MIN_SPAN_DAYS - days - before)
    pad = dt.timedelta(days=max(1, math.ceil(days * 0.05)))
    return start - pad, end + pad


def _month_starts(start: dt.date, end: dt.date, every: int) -> list[dt.date]:
    year, month = start.year, start.month
    days = []
    while (first := dt.date(year, month, 1)) <= end:
        if first >= start and (month - 1) % every == 0:
            days.append(first)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def _tick_days(start: dt.date, end: dt.date) -> tuple[list[dt.date], str]:
    """Tick dates inside [start, end] and their unit: 'day', 'month' or 'year'."""
    days = (end - start).days
    for step in DAY_STEPS:
        if days / step <= MAX_TICKS:
            first = start
            if step >= 7:  # weeks start on Monday
                first = start + dt.timedelta(days=(7 - start.weekday()) % 7)
            return [first + dt.timedelta(days=n) for n in range(0, (end - first).days + 1, step)], "day"
    months = (end.year - start.year) * 12 + end.month - start.month
    for every in MONTH_STEPS:
        if months / every <= MAX_TICKS:
            return _month_starts(start, end, every), "month"
    every = math.ceil((end.year - start.year + 1) / MAX_TICKS)
    years = [dt.date(year, 1, 1) for year in range(start.year, end.year + 1) if year % every == 0]
    return [day for day in years if start <= day <= end], "year"


def _tick_label(day: dt.date, unit: str) -> str:
    """Short labels (the axis title carries the years): "Mar 4" for days, "Mar" for months with "2027" for January,
    "2027" for years."""
    if unit == "year" or (unit == "month" and day.month == 1):
        return str(day.year)
    if unit == "month":
        return f"{day:%b}"
    return f"{day:%b} {day.day}"


def _years(start: dt.date, end: dt.date) -> str:
    last = end - dt.timedelta(days=1)
    return str(start.year) if start.year == last.year else f"{start.year}–{last.year}"


def time_axis(instants: list[dt.datetime], *, tz: ZoneInfo) -> dict | None:
    """The shared time axis for every graph of one chart, or None when there is nothing to chart.

    {"min", "max": epoch milliseconds, "ticks": [{"value", "label"}], "title": the years shown, "time_zone"}.
    """
    if not instants:
        return None
    local = sorted(instant.astimezone(tz).date() for instant in instants)
    start, end = _window(local[0], local[-1])
    days, unit = _tick_days(start, end)
    return {
        "min": _ms(_midnight(start, tz)),
        "max": _ms(_midnight(end, tz)),
        "ticks": [{"value": _ms(_midnight(day, tz)), "label": _tick_label(day, unit)} for day in days],
        "title": _years(start, end),
        "time_zone": str(tz),
    }


def _has_pain(point: dict) -> bool:
    return point.get("now") is not None or point.get("worst") is not None


def chart_panels(*, measures: dict[str, dict], pain: list[dict]) -> list[dict]:
    """The graphs to draw, each saying whether it has any score (no canvas, an empty state, when not)."""
    panels = []
    for panel in PANELS:
        names = [measures[code]["name"] for code in panel.instruments]
        has_points = any(measures[code]["points"] for code in panel.instruments)
        if panel.note_pain:
            names.append("pain from session notes")
            has_points = has_points or any(_has_pain(point) for point in pain)
        panels.append(
            {
                "key": panel.key,
                "title": panel.title,
                "canvas_id": f"{panel.key}-chart",
                "description": f"{', '.join(names)} over time",
                "instruments": list(panel.instruments),
                "note_pain": panel.note_pain,
                "y_max": max(INSTRUMENTS[code].max_score for code in panel.instruments),
                "y_title": panel.y_title,
                "has_points": has_points,
            }
        )
    return panels


def chart_data(*, measures: dict[str, dict], pain: list[dict], tz: ZoneInfo) -> dict:
    """Everything the chart script draws: the series, the graphs and the one time axis they share."""
    instants = [dt.datetime.fromisoformat(point["at"]) for series in measures.values() for point in series["points"]]
    instants += [dt.datetime.fromisoformat(point["at"]) for point in pain if _has_pain(point)]
    return {
        "measures": measures,
        "pain": pain,
        "panels": chart_panels(measures=measures, pain=pain),
        "axis": time_axis(instants, tz=tz),
    }


def score_rows(*, measures: dict[str, dict], tz: ZoneInfo) -> list[dict]:
    """Every score as a table row, oldest first: the chart's text alternative, with bands by name."""
    rows = []
    for series in measures.values():
        for point in series["points"]:
            subscales = ", ".join(f"{series['subscales'][key]} {value}" for key, value in point["subscales"].items())
            rows.append(
                {
                    "at": dt.datetime.fromisoformat(point["at"]).astimezone(tz),
                    "name": series["name"],
                    "score": point["score"],
                    "max": series["max"],
                    "band": point["severity_label"],
                    "subscales": subscales,
                }
            )
    return sorted(rows, key=lambda row: row["at"])
