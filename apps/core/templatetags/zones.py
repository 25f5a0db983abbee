from django import template

from apps.core.time_zones import zone_label as _zone_label

register = template.Library()


@register.filter
def zone_label(name: str) -> str:
    """{{ location.time_zone|zone_label }} -> "Pacific time (Los Angeles)": a zone as forms offer it."""
    return _zone_label(name) if name else ""
