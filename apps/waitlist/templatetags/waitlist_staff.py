"""Staff page pieces for the weekly-time waitlist: a freed time and its place, said as staff pages say a session's."""

from django import template

from apps.waitlist import selectors

register = template.Library()


@register.filter
def slot_weekly_time(slot) -> str:
    """{{ slot|slot_weekly_time }} -> "Mondays at 6:00 PM", or "Fridays at 10:00 AM Los Angeles time" at an office
    on another clock than the clinic's."""
    return selectors.slot_weekly_time(slot)


@register.filter
def slot_place(slot) -> str:
    """{{ slot|slot_place }} -> "Main office, Room 2" or "West office, video"."""
    return selectors.slot_place(slot)
