from django import template
from django.utils.timezone import get_current_timezone

from apps.core.time_zones import zone_label as _zone_label
from apps.core.time_zones import zone_place as _zone_place
from apps.core.time_zones import zone_time as _zone_time

register = template.Library()


@register.filter
def zone_label(name: str) -> str:
    """{{ location.time_zone|zone_label }} -> "Pacific time (Los Angeles)": a zone as forms offer it."""
    return _zone_label(name) if name else ""


@register.filter
def zone_place(zone) -> str:
    """{{ day.zone|zone_place }} -> "Los Angeles": "times are clinic time, as in Los Angeles"."""
    return _zone_place(zone)


@register.filter
def zone_time(zone) -> str:
    """{{ appointment.zone|zone_time }} -> "Los Angeles time", said after a time on that clock."""
    return _zone_time(zone)


@register.simple_tag
def page_zone_time() -> str:
    """{% page_zone_time %} -> "New York time": the clock the page reads its times on (the clinic's, unless a
    `{% timezone %}` block says another), said after a time such as when a note was signed."""
    return _zone_time(get_current_timezone())
