"""The programs card on the staff chart page: enrollments, places in line, open offers, weekly-slot requests."""

from django import template

from apps.programs import selectors
from apps.programs.models import LIVE_STATUSES
from apps.waitlist.selectors import patient_slot_requests_live

register = template.Library()


@register.inclusion_tag("programs/_patient_card.html", takes_context=True)
def patient_programs_card(context, patient):
    """Each live enrollment with whether the reader may open its program's page (the facilitators and those who
    manage programs), so nobody else follows a link to a refusal."""
    user = context["user"]
    live = [e for e in selectors.patient_enrollments_shown(patient=patient) if e.status in LIVE_STATUSES]
    openable = selectors.programs_roster_open(user=user, program_ids={e.program_id for e in live})
    return {
        "enrollments": [(e, e.program_id in openable) for e in live],
        "slot_requests": patient_slot_requests_live(patient=patient),
    }
