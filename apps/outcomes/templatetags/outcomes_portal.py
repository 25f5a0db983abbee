from django import template

from apps.outcomes import selectors

register = template.Library()


@register.inclusion_tag("outcomes/portal/_dashboard_card.html")
def outcomes_dashboard_card(patient):
    """The portal home's card: questionnaires waiting for answers, and the journal."""
    return {"pending_count": selectors.assignments_pending(patient=patient).count()}
