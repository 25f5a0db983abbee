"""The programs card on the patient's portal home: seat offers with their deadlines, places in line."""

from django import template

from apps.programs import member_meetings, selectors
from apps.programs.models import LIVE_STATUSES

register = template.Library()


@register.inclusion_tag("programs/portal/_dashboard_card.html")
def programs_card(patient):
    live = [e for e in selectors.patient_enrollments_shown(patient=patient) if e.status in LIVE_STATUSES]
    return {"enrollments": live}


@register.simple_tag
def upcoming_group_meetings(patient):
    """The patient's coming group meetings, listed with their individual sessions under "Your sessions"."""
    return member_meetings.member_meetings_upcoming(patient=patient)
