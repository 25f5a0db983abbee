"""The programs card on the patient's portal home: seat offers with their deadlines, places in line."""

from django import template

from apps.programs import selectors
from apps.programs.models import LIVE_STATUSES

register = template.Library()


@register.inclusion_tag("programs/portal/_dashboard_card.html")
def programs_card(patient):
    live = [e for e in selectors.patient_enrollments(patient=patient) if e.status in LIVE_STATUSES]
    return {"enrollments": live}
