"""The ladder report: how many people stand on each rung, how long those below individual therapy have waited for
the next rung, how many left without reaching it, and how many programs were proposed and launched. The page, its
chart and its CSV are all built from the one `ladder_report` answer, so they cannot disagree."""

import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core import clock
from apps.patients.models import Patient, PatientStatus
from apps.programs.models import GroupProgram, ProgramKind, ProgramStage

from .models import CLIMBING_LEVELS, CareLevel, CareLevelMove, PatientCareLevel

NOT_PLACED = "Not placed yet"


@dataclass(frozen=True)
class ReportTable:
    """One section of the report: what the page shows as a table and the CSV writes under the same title."""

    title: str
    headers: list[str]
    rows: list[list]


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: int


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart laid out for server-rendered SVG: one bar per rung, a labelled scale below."""

    title: str
    x_label: str
    y_label: str
    bars: list[Bar]
    ticks: list[tuple[int, int]]  # (value, x offset from the plot's left edge)
    plot_width: int = 420
    bar_height: int = 26
    gap: int = 10
    left: int = 190  # room for the rung names
    top: int = 10

    @property
    def plot_height(self) -> int:
        return len(self.bars) * (self.bar_height + self.gap)

    @property
    def width(self) -> int:
        return self.left + self.plot_width + 40

    @property
    def height(self) -> int:
        return self.top + self.plot_height + 60

    @property
    def axis_y(self) -> int:
        return self.top + self.plot_height

    @property
    def middle(self) -> int:
        return self.left + self.plot_width // 2

    @property
    def right(self) -> int:
        return self.left + self.plot_width


@dataclass(frozen=True)
class LadderReport:
    start: dt.date
    end: dt.date
    tables: list[ReportTable] = field(default_factory=list)
    chart: BarChart | None = None


def _days(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 1)


def _in_care_levels():
    """The rungs of patients in care: the one population the sections about now (each rung, waiting) count, as
    "Not placed yet" does. A discharged patient is on no rung until they come back."""
    return PatientCareLevel.objects.filter(patient__status=PatientStatus.ACTIVE)


def _at_each_rung() -> list[list]:
    counts = dict(_in_care_levels().values_list("level").annotate(n=Count("id")).order_by())
    not_placed = Patient.objects.filter(status=PatientStatus.ACTIVE, care_level__isnull=True).count()
    return [[NOT_PLACED, not_placed]] + [[label, counts.get(level, 0)] for level, label in CareLevel.choices]


def _waiting(today: dt.date) -> list[list]:
    tz = clock.clinic_tz()
    days: dict[str, list[int]] = {level: [] for level in CLIMBING_LEVELS}
    for level, since in _in_care_levels().filter(level__in=CLIMBING_LEVELS).values_list("level", "since"):
        days[level].append((today - timezone.localtime(since, tz).date()).days)
    rows = []
    for level in CLIMBING_LEVELS:
        waited = days[level]
        median = _days(statistics.median(waited)) if waited else "—"
        rows.append([CareLevel(level).label, len(waited), median, max(waited) if waited else "—"])
    return rows


def _local_span(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants from the start of `start` to the end of `end`, both local days included."""
    return clock.local_datetime(start, dt.time.min), clock.local_datetime(end + dt.timedelta(days=1), dt.time.min)


def _left_without_next(start: dt.date, end: dt.date) -> list[list]:
    """People moved to maintenance or discharged (a discharge moves them) from a rung below individual therapy
    within the dates."""
    since, until = _local_span(start, end)
    counts = dict(
        CareLevelMove.objects.filter(
            to_level=CareLevel.MAINTENANCE, from_level__in=CLIMBING_LEVELS, moved_at__gte=since, moved_at__lt=until
        )
        .values_list("from_level")
        .annotate(n=Count("patient", distinct=True))
        .order_by()
    )
    return [[CareLevel(level).label, counts.get(level, 0)] for level in CLIMBING_LEVELS]


def _programs_proposed_and_launched(start: dt.date, end: dt.date) -> list[list]:
    """Per kind, within the dates: programs proposed (set up to gather an interest list first), launched (from a
    proposal, or set up to run straight away), and called off (on their decision date, or earlier by staff: counted
    when it happened); and the proposals still gathering interest today, whenever they were made."""
    since, until = _local_span(start, end)
    launched_at = Coalesce("launched_at", "created_at")
    counts = {
        row["kind"]: row
        for row in GroupProgram.objects.annotate(launched_on=launched_at)
        .values("kind")
        .annotate(
            proposed=Count("id", filter=Q(decision_on__isnull=False, created_at__gte=since, created_at__lt=until)),
            launched=Count("id", filter=Q(stage=ProgramStage.LAUNCHED, launched_on__gte=since, launched_on__lt=until)),
            not_launched=Count(
                "id",
                filter=Q(stage=ProgramStage.NOT_LAUNCHED, called_off_at__gte=since, called_off_at__lt=until),
            ),
            gathering=Count("id", filter=Q(stage=ProgramStage.PROPOSED)),
        )
        .order_by()
    }
    rows = []
    for kind, label in ProgramKind.choices:
        row = counts.get(kind, {})
        rows.append([label] + [row.get(name, 0) for name in ("proposed", "launched", "not_launched", "gathering")])
    return rows


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if top / step <= 5:
            return step
    return 10 ** len(str(top))


def _chart(rows: list[list]) -> BarChart:
    top = max([count for _, count in rows] + [1])
    step = _nice_step(top)
    scale_top = -(-top // step) * step  # the first tick at or above the longest bar
    width, pitch = BarChart.plot_width, BarChart.bar_height + BarChart.gap
    bars = [
        Bar(label=label, value=count, y=BarChart.top + i * pitch, width=count * width // scale_top)
        for i, (label, count) in enumerate(rows)
    ]
    ticks = [(value, value * width // scale_top) for value in range(0, scale_top + 1, step)]
    return BarChart(title="People at each rung now", x_label="People", y_label="Rung", bars=bars, ticks=ticks)


def ladder_report(*, start: dt.date, end: dt.date) -> LadderReport:
    today = clock.local_now().date()
    at_each_rung = _at_each_rung()
    tables = [
        ReportTable("People at each rung now", ["Rung", "People"], at_each_rung),
        ReportTable(
            "Waiting for the next rung",
            ["Rung", "People", "Median days at this rung", "Longest days at this rung"],
            _waiting(today),
        ),
        ReportTable(
            f"Left without reaching the next rung, {start:%b %-d, %Y} to {end:%b %-d, %Y}",
            ["Left from", "People"],
            _left_without_next(start, end),
        ),
        ReportTable(
            f"Programs proposed and launched, {start:%b %-d, %Y} to {end:%b %-d, %Y}",
            ["Kind", "Proposed", "Launched", "Did not launch", "Still gathering interest now"],
            _programs_proposed_and_launched(start, end),
        ),
    ]
    return LadderReport(start=start, end=end, tables=tables, chart=_chart(at_each_rung))
