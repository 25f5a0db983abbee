"""The programs card on the staff chart page: enrollments, places in line, open offers, weekly-slot requests."""

from django import template

from apps.programs import selectors
from apps.programs.models import LIVE_STATUSES
from apps.waitlist.selectors import patient_slot_requests_live

register = template.Library()


@register.inclusion_tag("programs/_patient_card.html")
def patient_programs_card(patient):
    return {
        "enrollments": [e for e in selectors.patient_enrollments_shown(patient=patient) if e.status in LIVE_STATUSES],
        "slot_requests": patient_slot_requests_live(patient=patient),
    }
