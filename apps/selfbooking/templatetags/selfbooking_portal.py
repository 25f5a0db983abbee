"""Portal page pieces for booking and moving sessions online."""

from django import template

from apps.selfbooking import offers, selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def move_online(context, appointment) -> offers.MoveOnline:
    """{% move_online session as move %}: whether the patient can move it online now, or it is too close to."""
    return offers.move_online(user=context["request"].user, appointment=appointment)


@register.simple_tag
def booking_offered(patient) -> bool:
    """{% booking_offered patient as book_online %}: whether the Book page has a first session to book or move for
    the patient (the menu asked already: no query more)."""
    return selectors.booking_offered(patient=patient)
