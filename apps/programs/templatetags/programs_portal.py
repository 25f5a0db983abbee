"""The programs card on the patient's portal home: seat offers with their deadlines, places in line."""

from django import template

from apps.programs import member_meetings, selectors
from apps.programs.models import LIVE_STATUSES
from apps.programs.services import seats

register = template.Library()


@register.inclusion_tag("programs/portal/_dashboard_card.html")
def programs_card(patient):
    live = [e for e in selectors.patient_enrollments_shown(patient=patient) if e.status in LIVE_STATUSES]
    return {"enrollments": live}


@register.simple_tag
def upcoming_group_meetings(patient):
    """The patient's coming group meetings, listed with their individual sessions under "Your sessions"."""
    return member_meetings.member_meetings_upcoming(patient=patient)


@register.filter
def seat_offer_problem(enrollment) -> str:
    """Why the seat offer can no longer be accepted, "" while it can: the rule accepting follows (past its deadline
    before the minute's sweep passes it on, or once the program's last meeting has begun)."""
    return seats.seat_offer_problem(enrollment)


@register.filter
def seat_offer_program_over(enrollment) -> str:
    """Why nobody can take a seat of the offer's program any more ("" while they can)."""
    return seats.program_over_refusal(enrollment.program)
