"""How pages name a zone: by its place ("Los Angeles", "10:00 AM Los Angeles time"), right in summer and winter alike
and for zones whose abbreviation is only an offset ("-03")."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template

from apps.core import time_zones
from apps.core.time_zones import zone_place


@pytest.mark.parametrize(
    ("key", "place"),
    [("America/Los_Angeles", "Los Angeles"), ("America/Argentina/Buenos_Aires", "Buenos Aires"), ("UTC", "UTC")],
)
def test_a_zone_is_named_by_its_place(key, place):
    assert zone_place(ZoneInfo(key)) == place


def test_checking_a_zone_name_reads_the_zone_list_once_not_on_every_check(monkeypatch):
    time_zones.zone_known("UTC")  # the list is read once per process

    def read_again():
        raise AssertionError("the zone list was read from disk again")

    monkeypatch.setattr(time_zones, "available_timezones", read_again)
    time_zones.zone_validate("America/New_York")
    with pytest.raises(ValidationError, match="is not a time zone"):
        time_zones.zone_validate("Mars/Olympus_Mons")


@pytest.mark.parametrize(
    "alias",
    ["US/Eastern", "US/Pacific", "Canada/Central", "Mexico/General", "EST5EDT", "Africa/Asmera", "America/Atka"],
)
def test_forms_offer_zones_by_place_and_leave_the_old_aliases_out(alias):
    offered = {name for _, group in time_zones.zone_choices() for name, _ in group}
    assert alias not in offered
    assert {"America/New_York", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Pacific/Honolulu"} <= offered


@pytest.mark.parametrize("alias", ["US/Eastern", "EST5EDT"])
def test_a_reader_on_an_old_name_for_the_sessions_zone_is_not_told_the_same_time_twice(alias):
    moment = dt.datetime(2026, 7, 6, 14, 0, tzinfo=dt.UTC)
    text = time_zones.when_text(moment, zone=ZoneInfo("America/New_York"), reader_zone=ZoneInfo(alias))
    assert text == "Monday, July 6, 2026 at 10:00 AM"


def test_a_reader_in_another_zone_is_still_told_their_own_time():
    moment = dt.datetime(2026, 7, 6, 14, 0, tzinfo=dt.UTC)
    text = time_zones.when_text(moment, zone=ZoneInfo("America/New_York"), reader_zone=ZoneInfo("US/Pacific"))
    assert text == "Monday, July 6, 2026 at 10:00 AM (7:00 AM your time)"


@pytest.mark.parametrize("name", ["localtime", "Factory"])
def test_names_that_are_no_place_are_not_time_zones(name):
    """ "localtime" is whatever the server's clock is set to, "Factory" a placeholder with no offset."""
    with pytest.raises(ValidationError, match="is not a time zone"):
        time_zones.zone_validate(name)


def test_a_session_elsewhere_names_its_clock_in_words_not_by_an_offset():
    """São Paulo's abbreviation is only an offset ("-03"): the words name the place instead."""
    moment = dt.datetime(2026, 6, 1, 13, 0, tzinfo=dt.UTC)
    text = time_zones.when_text(moment, zone=ZoneInfo("America/Sao_Paulo"))
    assert text == "Monday, June 1, 2026 at 10:00 AM Sao Paulo time"


def test_a_session_named_in_its_clock_adds_the_readers_own_time():
    moment = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    text = time_zones.when_text(moment, zone=ZoneInfo("Asia/Kolkata"), reader_zone=ZoneInfo("America/New_York"))
    assert text == "Monday, June 1, 2026 at 1:30 PM Kolkata time (4:00 AM your time)"


def test_a_time_stamped_on_the_pages_clock_names_that_clock_in_words():
    """A note's signature or a receipt's date is read on the page's clock (the clinic's): a clinic in São Paulo reads
    "Sao Paulo time" after it, not "-03"."""
    page = Template(
        '{% load tz zones %}{% timezone "America/Sao_Paulo" %}'
        '{{ moment|date:"M j, Y g:i A" }} {% page_zone_time %}{% endtimezone %}'
    )
    moment = dt.datetime(2026, 6, 1, 13, 0, tzinfo=dt.UTC)
    assert page.render(Context({"moment": moment})) == "Jun 1, 2026 10:00 AM Sao Paulo time"
