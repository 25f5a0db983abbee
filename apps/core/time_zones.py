"""IANA time zone names: what forms offer, what they accept, the trigger that makes the database refuse others,
and how a session's time reads in its zone and its reader's."""

import datetime as dt
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import dateformat, timezone

from apps.core.when import clock_text


@cache
def zone_names() -> tuple[str, ...]:
    """Zones people live in, sorted: the tz database's table of zones by country, each named after a place. The
    database's other names are older links to these ("US/Eastern", "Africa/Asmera", "America/Atka") or fixed
    offsets ("EST5EDT", "Etc/GMT+5"), which would list a place twice."""
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    listed = {line.split("\t")[2] for line in table.splitlines() if line and not line.startswith("#")}
    return tuple(sorted(listed & _zones_known()))


# The zones most of the clinic's people live in, named as people say them; every other zone follows by its name.
US_ZONES = (
    ("America/New_York", "Eastern time (New York)"),
    ("America/Chicago", "Central time (Chicago)"),
    ("America/Denver", "Mountain time (Denver)"),
    ("America/Phoenix", "Mountain time without daylight saving (Phoenix)"),
    ("America/Los_Angeles", "Pacific time (Los Angeles)"),
    ("America/Anchorage", "Alaska time (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii time (Honolulu)"),
)


def zone_label(name: str) -> str:
    """A zone as a person reads it: "Pacific time (Los Angeles)", else its place ("Europe / Berlin")."""
    return dict(US_ZONES).get(name) or name.replace("_", " ").replace("/", " / ")


def zone_short_label(name: str) -> str:
    """A zone named after a place that already says where: "Pacific time" ("Pasadena office · Pacific time"), else
    its place ("Europe / Berlin")."""
    return zone_label(name).split(" (", 1)[0]


def clinic_zone_name() -> str:
    """The clinic's zone by name: what a time typed without naming a clock was read on."""
    return settings.TIME_ZONE


def zone_choices(*, blank_label: str | None = None) -> list:
    """The zones a form offers: the United States' first by the names people use, then every other by its place
    ("Europe/Berlin" reads "Europe / Berlin"), grouped so a long list is not one alphabet of codes."""
    common = dict(US_ZONES)
    others = [(name, zone_label(name)) for name in zone_names() if name not in common]
    choices = [("United States", list(US_ZONES)), ("Elsewhere", others)]
    return [("", blank_label), *choices] if blank_label is not None else choices


# Names the zone list holds that are no place's clock: "localtime" reads whatever the server is set to (each server
# of a deploy may differ) and "Factory" has no offset at all.
NOT_ZONES = frozenset({"localtime", "Factory"})


@cache
def _zones_known() -> frozenset[str]:
    return frozenset(available_timezones()) - NOT_ZONES


def zone_known(name: str) -> bool:
    """Whether `name` is a zone times can be read on (any IANA name, the ones forms leave out too)."""
    return name in _zones_known()


def zone_validate(value: str) -> None:
    if value and not zone_known(value):
        raise ValidationError(f"“{value}” is not a time zone; pick one such as America/New_York.", code="unknown_zone")


def time_zone_known_trigger(name: str, *, blank_allowed: bool) -> pgtrigger.Trigger:
    """Refuses a row whose `time_zone` Postgres cannot convert with (an empty one too, unless `blank_allowed`),
    raised as a check violation named `name` so services can answer it with a message."""
    blank = "NEW.time_zone = '' OR " if blank_allowed else ""
    known = "EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = NEW.time_zone)"
    return pgtrigger.Trigger(
        name=name,
        operation=pgtrigger.Insert | pgtrigger.UpdateOf("time_zone"),
        when=pgtrigger.Before,
        func=(
            f"IF NOT ({blank}{known}) THEN\n"
            "    RAISE EXCEPTION 'unknown time zone %', NEW.time_zone\n"
            f"        USING ERRCODE = '23514', CONSTRAINT = '{name}';\n"
            "END IF;\nRETURN NEW;"
        ),
    )


def when_text(
    moment: dt.datetime,
    *,
    zone: ZoneInfo,
    reader_zone: ZoneInfo | None = None,
    day_format: str = "l, F j, Y",
    always_zone: bool = False,
) -> str:
    """`moment` as a reader should see a session's time: wall-clock time in `zone` (the session's location's),
    naming the zone in words when it is not the clinic's (or `always_zone`): "10:00 AM Los Angeles time", and
    "(1:00 PM your time)" when the reader's clock reads another time (with their weekday too when the date differs
    there).

    Every message and page says a session's time with this (through `patient_when_text` for patients and the
    public), so they never disagree."""
    local = timezone.localtime(moment, zone)
    text = f"{dateformat.format(local, day_format)} at " if day_format else ""
    text += clock_text(local)
    if always_zone or zone.key != settings.TIME_ZONE:
        text += f" {zone_time(zone)}"
    return text + your_time_text(moment, zone=zone, reader_zone=reader_zone)


def your_time_text(moment: dt.datetime, *, zone: ZoneInfo, reader_zone: ZoneInfo | None) -> str:
    """ " (1:00 PM your time)" when the reader's clock reads another time than `zone`'s at `moment` (with their
    weekday too when the date differs there), else "": what `when_text` adds after a time, and what a page that
    named the clock once adds after each bare time."""
    if reader_zone is None:
        return ""
    local, theirs = timezone.localtime(moment, zone), timezone.localtime(moment, reader_zone)
    # Compared by what the clocks read, not by name: a reader on another name for the same clock ("US/Eastern") or
    # on a zone that reads the same at that moment is not told the time twice.
    if theirs.replace(tzinfo=None) == local.replace(tzinfo=None):
        return ""
    day = "" if theirs.date() == local.date() else dateformat.format(theirs, "D ")
    return f" ({day}{clock_text(theirs)} your time)"


def patient_when_text(
    moment: dt.datetime, *, zone: ZoneInfo, reader_zone: ZoneInfo | None = None, day_format: str = "l, F j, Y"
) -> str:
    """`moment` as a patient or a member of the public reads it, on every portal and public page and in every
    message to them: they may be anywhere, so the clock is named even when it is the clinic's ("11:00 AM New York
    time"). Staff, who work on the clinic's clock, read `when_text`, which names only another."""
    return when_text(moment, zone=zone, reader_zone=reader_zone, day_format=day_format, always_zone=True)


def written_when_text(moment: dt.datetime, *, reader_zone: ZoneInfo | None, day_format: str = "l, F j, Y") -> str:
    """When a patient wrote something themselves (a journal entry), as they read it: on their own clock
    when they set one, else the clinic's, named as `patient_when_text` names it ("June 2, 2026 at 3:00 PM Los
    Angeles time")."""
    return patient_when_text(moment, zone=reader_zone or ZoneInfo(settings.TIME_ZONE), day_format=day_format)


def zone_place(zone: ZoneInfo) -> str:
    """The place a zone is named after ("Los Angeles"): how pages and messages name a clock ("as in Los Angeles"), right
    in summer and winter alike, where one abbreviation would be wrong for part of a span."""
    return zone.key.rsplit("/", 1)[-1].replace("_", " ")


def zone_time(zone: ZoneInfo) -> str:
    """A clock named in words after its place, said after a time on it ("3:00 PM Sao Paulo time"). Never the zone's
    abbreviation: for many zones that is only an offset ("-03", "+0530"), and it changes with the season."""
    return f"{zone_place(zone)} time"


def zone_or_none(name: str) -> ZoneInfo | None:
    """The zone named, or None for a blank name (someone who has not said theirs)."""
    return ZoneInfo(name) if name else None
