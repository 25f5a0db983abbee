"""The chart's time axis spans the data (two weeks at least, ticks on local days) and its graphs know when they are
empty."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from apps.outcomes.charts import MAX_TICKS, chart_data, chart_panels, score_rows, time_axis
from apps.outcomes.instruments import INSTRUMENTS

TZ = ZoneInfo("America/New_York")
DAY_MS = 86_400_000


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour)).replace(tzinfo=TZ)


def local_day(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, TZ)


def empty_measures() -> dict:
    return {
        code: {"name": i.name, "max": i.max_score, "subscales": {k: label for k, label, _ in i.subscales}, "points": []}
        for code, i in INSTRUMENTS.items()
    }


def test_nothing_to_chart_has_no_axis():
    assert time_axis([], tz=TZ) is None
    data = chart_data(measures=empty_measures(), pain=[], tz=TZ)
    assert data["axis"] is None
    assert [panel["has_points"] for panel in data["panels"]] == [False, False, False]


@pytest.mark.parametrize("hour", [0, 9, 23])
def test_one_score_gets_a_two_week_window_around_it_with_ticks_on_its_days(hour):
    score_day = dt.date(2026, 3, 4)
    axis = time_axis([at(score_day, hour)], tz=TZ)
    start, end = local_day(axis["min"]), local_day(axis["max"])
    assert (start.time(), end.time()) == (dt.time(0), dt.time(0))  # local midnights
    assert (end.date() - start.date()).days == 14
    assert start.date() < score_day < end.date()
    assert 2 <= len(axis["ticks"]) <= MAX_TICKS
    for tick in axis["ticks"]:
        assert axis["min"] <= tick["value"] <= axis["max"]
        assert local_day(tick["value"]).time() == dt.time(0)
    assert all(re.fullmatch(r"(Feb|Mar) \d{1,2}", tick["label"]) for tick in axis["ticks"])
    assert (axis["title"], axis["time_zone"]) == ("2026", "America/New_York")


def test_a_few_weeks_of_weekly_scores_tick_on_mondays():
    days = [dt.date(2026, 3, 2) + dt.timedelta(weeks=n) for n in range(6)]
    axis = time_axis([at(day) for day in days], tz=TZ)
    assert local_day(axis["min"]).date() < days[0] and local_day(axis["max"]).date() > days[-1]
    ticks = [local_day(tick["value"]).date() for tick in axis["ticks"]]
    assert len(ticks) <= MAX_TICKS and {day.weekday() for day in ticks} == {0}


def test_the_axis_keeps_local_midnights_across_a_dst_change():
    axis = time_axis([at(dt.date(2026, 3, 1)), at(dt.date(2026, 3, 12))], tz=TZ)  # DST begins 8 March
    assert {local_day(tick["value"]).time() for tick in axis["ticks"]} == {dt.time(0)}


def test_months_of_scores_tick_on_the_first_of_months_and_name_a_new_year():
    axis = time_axis([at(dt.date(2026, 6, 15)), at(dt.date(2027, 3, 20))], tz=TZ)
    assert len(axis["ticks"]) <= MAX_TICKS
    assert all(local_day(t["value"]).day == 1 for t in axis["ticks"])
    labels = [tick["label"] for tick in axis["ticks"]]
    assert "2027" in labels and all(re.fullmatch(r"[A-Z][a-z]{2}|2027", label) for label in labels)
    assert axis["title"] == "2026–2027"


def test_years_of_scores_tick_by_years():
    axis = time_axis([at(dt.date(2019, 5, 1)), at(dt.date(2026, 5, 1))], tz=TZ)
    assert 2 <= len(axis["ticks"]) <= MAX_TICKS
    assert all(t["label"].isdigit() for t in axis["ticks"])


def test_the_axis_title_names_the_years_the_days_fall_in():
    axis = time_axis([at(dt.date(2026, 12, 28)), at(dt.date(2027, 1, 6))], tz=TZ)
    assert axis["title"] == "2026–2027"
    assert all(re.fullmatch(r"(Dec|Jan) \d{1,2}", tick["label"]) for tick in axis["ticks"])


def test_pain_mood_and_the_body_measures_are_separate_graphs():
    measures = empty_measures()
    measures["pcs"]["points"].append(
        {
            "at": at(dt.date(2026, 3, 4)).isoformat(),
            "score": 31,
            "severity": "clinically_relevant",
            "severity_label": "Clinically relevant",
            "subscales": {"rumination": 14, "magnification": 4, "helplessness": 13},
        }
    )
    pain = [{"at": at(dt.date(2026, 3, 5)).isoformat(), "now": 4, "worst": None}]
    panels = {panel["key"]: panel for panel in chart_panels(measures=measures, pain=pain)}
    assert panels["mood"]["instruments"] == ["phq9", "gad7"] and not panels["mood"]["has_points"]
    assert panels["pain"]["has_points"] and panels["pain"]["note_pain"] and panels["pain"]["y_max"] == 10
    assert panels["somatic"]["instruments"] == ["phq15", "pcs"] and panels["somatic"]["y_max"] == 52
    titles = {key: panel["y_title"] for key, panel in panels.items()}
    assert titles == {"mood": "Score (higher is worse)", "pain": "Pain, 0 to 10", "somatic": "Score (higher is worse)"}
    rows = score_rows(measures=measures, tz=TZ)
    assert [(r["name"], r["band"]) for r in rows] == [("Pain Catastrophizing Scale", "Clinically relevant")]
    assert rows[0]["subscales"] == "Rumination 14, Magnification 4, Helplessness 13"
    axis = chart_data(measures=measures, pain=pain, tz=TZ)["axis"]
    assert axis["min"] <= int(at(dt.date(2026, 3, 4)).timestamp() * 1000) < axis["max"]
