"""The "Where you are" card on the patient's portal home."""

from django import template

from apps.ladder import selectors

register = template.Library()


@register.inclusion_tag("ladder/portal/_dashboard_card.html")
def care_level_dashboard_card(patient):
    return {"step": selectors.next_step(patient=patient)}


@register.filter
def portal_rung(level):
    """A rung's name as the portal says it (the history's moves name rungs too)."""
    return selectors.PORTAL_RUNG_NAMES.get(level, "")
