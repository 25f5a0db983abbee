"""How times and dates read for people, on every staff page, portal page and message: a clock time as "6:00 PM",
a span as "6:00 PM–7:30 PM", a date as "April 12, 1980" (never "04/12/1980", which US and European readers read
as different days)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone

from apps.core import clock
from apps.core.when import clock_span_text, clock_text, day_text, moment_text

PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (dt.time(0, 0), "12:00 AM"),
        (dt.time(9, 5), "9:05 AM"),
        (dt.time(12, 0), "12:00 PM"),
        (dt.time(18, 0), "6:00 PM"),
        (dt.time(23, 59), "11:59 PM"),
        (dt.datetime(2026, 6, 1, 13, 30, tzinfo=PACIFIC), "1:30 PM"),
    ],
)
def test_a_clock_time_reads_in_hours_minutes_and_am_or_pm(moment, text):
    assert clock_text(moment) == text


def test_a_span_names_both_ends():
    assert clock_span_text(dt.time(18, 0), dt.time(19, 30)) == "6:00 PM–7:30 PM"
    assert clock_span_text(dt.time(11, 30), dt.time(12, 15)) == "11:30 AM–12:15 PM"


def test_a_date_reads_in_words():
    assert day_text(dt.date(1980, 4, 12)) == "April 12, 1980"
    assert day_text(dt.date(1980, 12, 4)) == "December 4, 1980"


def test_when_something_happened_reads_as_a_short_date_and_a_clock_time():
    assert moment_text(dt.datetime(2026, 4, 12, 18, 0, tzinfo=PACIFIC)) == "Apr 12, 2026 6:00 PM"


def test_the_template_filters_read_an_instant_on_the_page_clock_and_a_pinned_one_on_its_own():
    instant = dt.datetime(2026, 6, 1, 22, 0, tzinfo=dt.UTC)  # 6:00 PM in New York, 3:00 PM in Los Angeles
    template = Template(
        "{% load when %}{{ start|clock }} · {{ start|clock_span:end }} · {{ there|clock }} · "
        "{{ there|clock_span:there_end }} · {{ born|day }} · {{ start|moment }}"
    )
    context = Context(
        {
            "start": instant,
            "end": instant + dt.timedelta(minutes=90),
            "there": clock.in_zone(instant, PACIFIC),
            "there_end": clock.in_zone(instant + dt.timedelta(minutes=45), PACIFIC),
            "born": dt.date(1980, 4, 12),
        }
    )
    with timezone.override(ZoneInfo("America/New_York")):
        assert template.render(context) == (
            "6:00 PM · 6:00 PM–7:30 PM · 3:00 PM · 3:00 PM–3:45 PM · April 12, 1980 · Jun 1, 2026 6:00 PM"
        )


def test_empty_values_read_as_nothing():
    assert (
        Template(
            "{% load when %}[{{ none|clock }}][{{ none|clock_span:none }}][{{ none|day }}][{{ none|moment }}]"
        ).render(Context({"none": None}))
        == "[][][][]"
    )


def test_a_date_or_time_without_a_format_of_its_own_reads_as_the_helpers_say_it():
    """The `date` and `time` filters with no format, and a value shown as it is (the admin's lists), follow the
    project's formats, not Django's "Oct. 19, 2026" and "6 p.m."."""
    day, moment = dt.date(2026, 10, 19), dt.datetime(2026, 10, 19, 18, 0, tzinfo=ZoneInfo("America/New_York"))
    template = Template("{{ day|date }} · {{ day }} · {{ moment|time }} · {{ moment }}")
    with timezone.override(ZoneInfo("America/New_York")):
        rendered = template.render(Context({"day": day, "moment": moment}))
    assert rendered.split(" · ") == [day_text(day), day_text(day), clock_text(moment), moment_text(moment)]
