"""How pages name a zone: by its abbreviation on one day, by its place over a span that may cross a clock change."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from apps.core import time_zones
from apps.core.time_zones import zone_abbreviation, zone_place

LA = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 11, 1), "PST"),  # the day the clocks go back: noon is already winter time
        (dt.date(2026, 10, 31), "PDT"),
        (dt.date(2026, 3, 8), "PDT"),  # the day they go forward
        (dt.date(2026, 3, 7), "PST"),
    ],
)
def test_a_day_names_the_zone_as_it_is_called_that_day(day, expected):
    assert zone_abbreviation(LA, day) == expected


def test_a_zone_without_summer_time_keeps_its_name_all_year():
    phoenix = ZoneInfo("America/Phoenix")
    assert {zone_abbreviation(phoenix, dt.date(2026, m, 1)) for m in (1, 7)} == {"MST"}


@pytest.mark.parametrize(
    ("key", "place"),
    [("America/Los_Angeles", "Los Angeles"), ("America/Argentina/Buenos_Aires", "Buenos Aires"), ("UTC", "UTC")],
)
def test_a_span_names_the_zone_by_its_place(key, place):
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
