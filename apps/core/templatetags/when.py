"""{% load when %}: times and dates as apps.core.when says them, read on the page's clock as Django's own `time`
and `date` filters read them (an instant on the zone the page is rendered in, one pinned to its office's zone by
`clock.in_zone` on that office's clock)."""

import datetime as dt

from django import template
from django.utils.timezone import template_localtime

from apps.core.clock import clinic_tz
from apps.core.time_zones import patient_when_text, written_when_text, zone_or_none
from apps.core.when import clock_span_text, clock_text, day_text, moment_text

register = template.Library()


@register.filter(expects_localtime=True)
def clock(moment) -> str:
    """{{ appointment.local_start|clock }} -> "6:00 PM"."""
    return clock_text(moment) if isinstance(moment, dt.time | dt.datetime) else ""


@register.filter(expects_localtime=True)
def clock_span(start, end) -> str:
    """{{ appointment.local_start|clock_span:appointment.local_end }} -> "6:00 PM–7:30 PM". The end is an
    argument, which Django hands over as it is: it is read on the page's clock here, as the start already was."""
    if not isinstance(start, dt.time | dt.datetime) or not isinstance(end, dt.time | dt.datetime):
        return ""
    return clock_span_text(start, template_localtime(end))


@register.filter(expects_localtime=True)
def day(value) -> str:
    """{{ patient.date_of_birth|day }} -> "April 12, 1980"."""
    return day_text(value) if isinstance(value, dt.date) else ""


@register.filter(expects_localtime=True)
def moment(value) -> str:
    """{{ token.last_used_at|moment }} -> "Apr 12, 2026 6:00 PM"."""
    return moment_text(value) if isinstance(value, dt.datetime) else ""


@register.simple_tag
def held_until(moment, patient) -> str:
    """A deadline the clinic set (a seat or a weekly time held for the patient until …)."""
    return clinic_when(moment, patient)


@register.simple_tag
def clinic_when(moment, patient, day_format="l, F j") -> str:
    """An instant told to a patient (a deadline, when a message was written): on the clinic's clock, naming it, and
    "(… your time)" for a patient on another clock, as every portal page tells a session's time."""
    reader_zone = zone_or_none(patient.time_zone) if patient else None
    return patient_when_text(moment, zone=clinic_tz(), reader_zone=reader_zone, day_format=day_format)


@register.simple_tag
def written_when(moment, zone, day_format="l, F j, Y") -> str:
    """When the patient wrote something (a journal entry), on their own clock (`zone`: theirs, by name or as a zone;
    empty when they set none, for the clinic's), naming it."""
    reader_zone = zone_or_none(zone) if isinstance(zone, str) else zone
    return written_when_text(moment, reader_zone=reader_zone, day_format=day_format)


@register.simple_tag
def patient_when(moment, zone, reader_zone="", day_format="l, F j, Y") -> str:
    """An instant on a named clock (a session's office's `zone`), as a patient reads it: naming that clock, and
    "(… your time)" on their own (`reader_zone`, by name) when it differs. For documents built from plain values,
    such as the record a patient downloads."""
    return patient_when_text(
        moment, zone=zone_or_none(zone) or clinic_tz(), reader_zone=zone_or_none(reader_zone), day_format=day_format
    )
