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
