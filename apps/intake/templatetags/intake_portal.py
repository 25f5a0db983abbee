from django import template

from apps.intake import selectors

register = template.Library()


@register.inclusion_tag("intake/portal/_dashboard_card.html")
def intake_dashboard_card(patient):
    """The portal home's card: forms to sign, shown once the clinic has sent any."""
    return {"forms": selectors.patient_forms_asked(patient=patient)}
