"""`{% clinic_contact %}`: the clinic's own phone and email (its settings, as its emails give them), for visitors who
are not signed in and so cannot open the portal's contact page."""

from django import template

from apps.core.models import ClinicSettings

register = template.Library()


@register.inclusion_tag("_clinic_contact.html")
def clinic_contact() -> dict:
    return {"clinic": ClinicSettings.load()}
