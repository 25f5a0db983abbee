"""Filters for message templates, whose context carries datetimes as ISO strings."""

import datetime as dt

from django import template
from django.utils import dateformat, timezone, translation

from apps.core import clock
from apps.core.request_memo import memo_read
from apps.core.time_zones import patient_when_text, zone_or_none

register = template.Library()


@register.filter
def clinic_time(value):
    """An ISO datetime string (or datetime) as an aware datetime in the clinic's time zone; '' if empty."""
    if not value:
        return ""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return timezone.localtime(moment, clock.clinic_tz())


@register.filter
def iso_date(value):
    """An ISO date string (or date) as a date, for the `date` filter; '' if empty."""
    if not value:
        return ""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@register.simple_tag
def session_when(start, time_zone="", reader_time_zone="", day_format="l, F j, Y"):
    """A session's ISO start as its reader should see it: in its location's `time_zone` (the clinic's for a message
    queued before sessions had locations), naming that clock, plus "(… your time)" in the patient's
    `reader_time_zone` if they set one that differs. Messages go to patients and the public, who read every time
    as the portal tells it (`time_zones.patient_when_text`)."""
    if not start:
        return ""
    # A batch of reminders names the same few session times again and again, and an email names its own in its text
    # and again in its HTML: each is worked out once a batch (or a page), the costliest part of rendering one.
    zone = zone_or_none(time_zone) or clock.clinic_tz()
    key = f"session_when:{start}|{zone.key}|{reader_time_zone}|{day_format}|{translation.get_language()}"
    return memo_read(
        key,
        lambda: patient_when_text(
            dt.datetime.fromisoformat(str(start)),
            zone=zone,
            reader_zone=zone_or_none(reader_time_zone),
            day_format=day_format,
        ),
    )


@register.simple_tag(takes_context=True)
def session_place(context, location_name="", room_name="", location_address=""):
    """Where an in-person session is: its location (the clinic's name for a message queued before locations), the
    room, and the location's address."""
    parts = [location_name or context["clinic"].name, room_name, location_address]
    return ", ".join(part for part in parts if part)


@register.filter
def session_day(session, day_format="l, F j"):
    """A session's date (a `sessions` item: its ISO `start` and its location's `time_zone`) in that zone: a 9 PM
    Pacific session is on its own date, not the next day in the clinic's zone."""
    if not session:
        return ""
    zone = zone_or_none(session.get("time_zone", "")) or clock.clinic_tz()
    return dateformat.format(timezone.localtime(dt.datetime.fromisoformat(session["start"]), zone), day_format)
