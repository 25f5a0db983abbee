"""Message template pieces for the weekly-time waitlist's notices, said in the words its pages use."""

from django import template

from apps.waitlist import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def slot_place_said(context, short=False) -> str:
    """{% slot_place_said %} -> "West office, Garden room, 200 Pine St, …" or "video session", from the notice's
    stored place; {% slot_place_said short=True %} -> "West office" or "video", for a text message."""
    return selectors.slot_place_said(context.flatten(), short=short)
