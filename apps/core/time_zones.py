"""IANA time zone names: what forms offer, what they accept, and the trigger that makes the database refuse others."""

from functools import cache
from zoneinfo import available_timezones

import pgtrigger
from django.core.exceptions import ValidationError


@cache
def zone_names() -> tuple[str, ...]:
    """Zones people live in, sorted (the "Etc/" offsets and legacy aliases are left out of the choices)."""
    return tuple(
        sorted(name for name in available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/")))
    )


def zone_choices(*, blank_label: str | None = None) -> list[tuple[str, str]]:
    choices = [(name, name.replace("_", " ")) for name in zone_names()]
    return [("", blank_label), *choices] if blank_label is not None else choices


def zone_validate(value: str) -> None:
    if value and value not in available_timezones():
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
