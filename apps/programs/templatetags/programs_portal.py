"""The programs card on the patient's portal home: seat offers with their deadlines, places in line."""

from zoneinfo import ZoneInfo

from django import template

from apps.core import clock
from apps.core.time_zones import patient_when_text, zone_or_none
from apps.programs import member_meetings, selectors
from apps.programs.meeting_fee import program_meeting_fee
from apps.programs.models import LIVE_STATUSES
from apps.programs.services import seats

register = template.Library()


@register.inclusion_tag("programs/portal/_dashboard_card.html")
def programs_card(patient):
    live = [e for e in selectors.patient_enrollments_shown(patient=patient) if e.status in LIVE_STATUSES]
    return {"enrollments": live}


@register.inclusion_tag("programs/portal/_fee.html")
def program_fee(program, patient):
    """The patient's fee a meeting attended and the most the program costs them, before they take a seat."""
    return {"fee": program_meeting_fee(patient=patient, program=program)}


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


@register.simple_tag
def program_time(program, patient=None) -> str:
    """The clock time a program meets at, as the portal and the public pages tell any session's (scheduling's
    `session_when`): where it meets, naming that clock, and "(3:00 PM your time)" when the `patient` reading set a
    zone that differs. Read from its first meeting (`selectors.with_first_meeting`), or as planned before its
    meetings are booked."""
    if program.first_meeting_start is None:
        return planned_time(program, patient)
    start, zone = program.first_meeting_start, ZoneInfo(program.first_meeting_zone)
    return _said(start, zone, patient)


@register.simple_tag
def planned_time(program, patient=None) -> str:
    """The clock time a program not booked yet (a proposed one) plans to meet at: on its room's office's clock, or
    the clinic's for a video program."""
    zone = program.room.location.zone if program.room is not None else clock.clinic_tz()
    return _said(clock.local_datetime(program.first_meeting_on, program.local_start_time, zone), zone, patient)


def _said(start, zone, patient) -> str:
    reader_zone = zone_or_none(patient.time_zone) if patient is not None else None
    return patient_when_text(start, zone=zone, reader_zone=reader_zone, day_format="")
