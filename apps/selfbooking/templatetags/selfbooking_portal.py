"""Portal page pieces for moving a session online."""

from django import template

from apps.selfbooking import offers

register = template.Library()


@register.simple_tag(takes_context=True)
def move_online(context, appointment) -> offers.MoveOnline:
    """{% move_online session as move %}: whether the patient can move it online now, or it is too close to."""
    return offers.move_online(user=context["request"].user, appointment=appointment)
