"""Portal page pieces for the weekly-time waitlist."""

from django import template

from apps.waitlist import selectors

register = template.Library()


@register.simple_tag
def slot_offer_when(offer, patient) -> str:
    """{% slot_offer_when offer patient %} -> "Mondays at 10:00 AM New York time": the weekly time held, on the clock
    it is kept on, and the patient's own when it reads otherwise."""
    return selectors.slot_offer_when(offer, patient=patient)


@register.simple_tag
def slot_offer_place(offer) -> str:
    """{% slot_offer_place offer %} -> "Main office, Room 2, 12 Elm St, …" or "video session": where the held time's
    sessions are, as its offer's messages say it."""
    return selectors.slot_patient_place(offer.slot)
