from django import template

from apps.intake import selectors

register = template.Library()


@register.inclusion_tag("intake/portal/_dashboard_card.html")
def intake_dashboard_card(patient):
    """The portal home's card: forms to sign, shown once the clinic has sent any."""
    rows = [row for row in selectors.patient_documents(patient=patient) if row.asked]
    return {"rows": rows, "outstanding": sum(1 for row in rows if not row.is_signed)}
