"""The programs card on the patient's portal home: seat offers with their deadlines, places in line."""

from django import template

from apps.programs import member_meetings, selectors
from apps.programs.models import LIVE_STATUSES
from apps.programs.services.seats import seat_offer_open_check
from apps.waitlist.offers import offer_problem

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
def seat_offer_answerable(enrollment) -> bool:
    """Whether the seat offer can still be answered, by the check accepting makes: past its deadline (before the
    minute's sweep passes it on) it cannot."""
    return not offer_problem(**seat_offer_open_check(enrollment))
