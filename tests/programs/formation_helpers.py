"""Proposed programs for the formation tests, built through the service."""

import datetime as dt

from apps.core import clock
from apps.programs.models import LectureFeeMode, ProgramKind
from apps.programs.services.formation import program_propose
from apps.programs.services.lecture_terms import lecture_service_type

from .factories import facilitator_with_evening_hours, group_service


def proposal(**extra) -> dict:
    first = clock.local_now().date() + dt.timedelta(days=30)
    if extra.get("kind") == ProgramKind.LECTURE:
        # A lecture series is education, free or at a fee that slides.
        extra = {"service_type": lecture_service_type(), "fee_mode": LectureFeeMode.DONATION, **extra}
    return {
        "title": "Pain recovery group, spring cohort",
        "description": "Eight weeks of education and group work.",
        "lead_facilitator": facilitator_with_evening_hours(first.weekday()),
        "service_type": group_service(),
        "capacity": 3,
        "enrollment_opens_on": clock.local_now().date(),
        "room": None,
        "is_telehealth": True,
        "local_start_time": dt.time(18, 0),
        "first_meeting_on": first,
        "meeting_count": 4,
        "minimum_to_launch": 2,
        "decision_on": first - dt.timedelta(days=10),
        **extra,
    }


def proposed_program(*, actor, **extra):
    return program_propose(actor=actor, **proposal(**extra))
