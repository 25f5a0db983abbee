from django import template

from apps.scheduling import selectors

register = template.Library()


@register.inclusion_tag("scheduling/portal/_next_session_card.html")
def next_session_card(patient):
    """The portal home's card: the next session, its video link if remote, and a link to all sessions."""
    return {"appointment": selectors.patient_next_session(patient=patient)}
