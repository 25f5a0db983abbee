"""Filters for message templates, whose context carries datetimes as ISO strings."""

import datetime as dt

from django import template
from django.utils import timezone

from apps.core import clock

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
