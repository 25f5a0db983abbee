"""Setting up and closing group programs: create (booking the meetings), update, capacity, close when finished."""

import datetime as dt

from django.db import transaction
from django.db.models import Max

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.dates import DateReach
from apps.core.errors import ApplicationError, Conflict, Unprocessable
from apps.outcomes.instruments import INSTRUMENTS
from apps.scheduling.selectors import therapist_office_on
from apps.scheduling.services import appointment_book, series_dates

from ..models import (
    LIVE_STATUSES,
    Enrollment,
    EnrollmentStatus,
    GroupProgram,
    ProgramKind,
    ProgramMeeting,
    ProgramStage,
)
from .lecture_terms import lecture_terms_check
from .seats import (
    PROGRAM_OVER,
    enrollment_end,
    enrollment_transition_write,
    free_seats_offer,
    join_refusal,
    program_lock,
    seats_taken,
    waitlist_closed_notify,
)

PROGRAM_FIELDS = frozenset(
    {
        "title",
        "description",
        "kind",
        "lead_facilitator",
        "service_type",
        "capacity",
        "charge_no_shows",
        "enrollment_opens_on",
        "enrollment_closes_on",
        "room",
        "is_telehealth",
        "local_start_time",
        "first_meeting_on",
        "meeting_count",
        "interval_weeks",
        "outcome_questionnaires",
        "fee_mode",
        "full_price",
        "reduced_price",
        "minimum_to_launch",
        "decision_on",
    }
)
# A first meeting further than this from today is a mistyped year.
PROGRAM_REACH = DateReach(years_back=2, years_ahead=2)
# What may change once meetings are booked; the schedule itself changes by rescheduling its appointments.
PROGRAM_EDITABLE_FIELDS = frozenset(
    {
        "title",
        "description",
        "charge_no_shows",
        "enrollment_opens_on",
        "enrollment_closes_on",
        "minimum_to_launch",
        "capacity",
    }
)


def _check_fields(data: dict, allowed: frozenset[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise Unprocessable(f"Unknown or fixed fields: {', '.join(sorted(unknown))}")


@transaction.atomic
def program_create(
    *, actor, co_facilitators=(), override_reason: str = "", stage: str = ProgramStage.LAUNCHED, **data
) -> GroupProgram:
    """Create a program. A launched program's meetings are booked at once as group appointments on the lead
    facilitator's calendar; a proposed one (see formation.program_propose) books them when it launches."""
    _check_fields(data, PROGRAM_FIELDS)
    service_type = data.get("service_type")
    if service_type is None or not service_type.is_group:
        raise Unprocessable("Choose a group service type.", fields={"service_type": ["Not a group service."]})
    lecture_terms_check(
        kind=data.setdefault("kind", ProgramKind.GROUP),
        service_type=service_type,
        fee_mode=data.get("fee_mode", ""),
        full_price=data.get("full_price"),
        reduced_price=data.get("reduced_price"),
    )
    unknown = set(data.get("outcome_questionnaires") or []) - set(INSTRUMENTS)
    if unknown:
        raise Unprocessable(
            f"Unknown questionnaires: {', '.join(sorted(unknown))}.",
            fields={"outcome_questionnaires": [f"Choose from {', '.join(INSTRUMENTS)}."]},
        )
    if data.get("first_meeting_on") is not None:
        PROGRAM_REACH.require(data["first_meeting_on"], field="first_meeting_on")
    if bool(data.get("is_telehealth")) == (data.get("room") is not None):
        raise Unprocessable(
            "Choose a room, or make the program meet by video (not both).",
            fields={"room": ["A room, or video, not both."]},
        )
    program = GroupProgram(created_by=actor, stage=stage, **data)
    program.full_clean()
    program.save()
    program.co_facilitators.set([u for u in co_facilitators if u.pk != program.lead_facilitator_id])
    if program.stage == ProgramStage.LAUNCHED:
        program_meetings_book(program=program, actor=actor, override_reason=override_reason)
    return program


def program_meetings_book(*, program: GroupProgram, actor, override_reason: str = "") -> None:
    """Book every meeting as a group appointment, conflict-checked like any appointment (facilitator and room); one
    conflict refuses them all, naming the meeting and the appointment in the way. The caller's transaction."""
    dates = series_dates(
        first_date=program.first_meeting_on,
        interval_weeks=program.interval_weeks,
        occurrence_count=program.meeting_count,
        end_date=None,
    )
    # The meetings keep their wall-clock time where they are held: the room's office, or for a video program the
    # office the lead facilitator works at on that weekday at that time (as any booking naming no place).
    place = (
        program.room.location
        if program.room
        else therapist_office_on(program.lead_facilitator, program.first_meeting_on, program.local_start_time)
    )
    for number, day in enumerate(dates, start=1):
        try:
            appointment = appointment_book(
                actor=actor,
                therapist=program.lead_facilitator,
                patient=None,
                service_type=program.service_type,
                start=clock.local_datetime(day, program.local_start_time, place.zone),
                room=program.room,
                location=place,
                is_telehealth=program.is_telehealth,
                override_reason=override_reason,
            )
        except ApplicationError as exc:
            exc.message = f"Meeting {number} on {day:%b} {day.day}: {exc.message}"
            raise
        ProgramMeeting.objects.create(program=program, appointment=appointment, number=number)


def _capacity_check(program: GroupProgram, capacity: int, *, minimum: int | None) -> None:
    """A capacity keeps a seat for everyone holding or offered one, and room for the minimum to launch (`minimum`,
    the one the change leaves) while the program has one."""
    # Nobody can join any more, so no seat would be filled: the seats stay as they were.
    if capacity != program.capacity and (refusal := join_refusal(program, by_staff=True)):
        raise Conflict(f"{refusal} Its seats no longer change.", fields={"capacity": ["Closed."]})
    if capacity < 1:
        raise Unprocessable("A program needs at least one seat.", fields={"capacity": ["At least 1."]})
    taken = seats_taken(program=program)
    if capacity < taken:  # the seats as they now stand: someone may have taken one since the page was loaded
        raise Conflict(
            f"{taken} seats are taken or offered; the capacity cannot go below that.",
            fields={"capacity": [f"At least {taken}."]},
        )
    if minimum is not None and capacity < minimum:
        raise Unprocessable(
            f"The capacity cannot go below the minimum to launch ({minimum}).",
            fields={"capacity": [f"At least {minimum}."]},
        )


def _minimum_check(program: GroupProgram, minimum: int | None, *, capacity: int) -> None:
    """The minimum to launch changes only while the program is proposed, and stays within its seats (`capacity`,
    the number the change leaves)."""
    if program.stage != ProgramStage.PROPOSED:
        raise Unprocessable(
            "Only a proposed program has a minimum to launch.", fields={"minimum_to_launch": ["Not proposed."]}
        )
    if minimum is None or not 1 <= minimum <= capacity:
        raise Unprocessable(
            f"The minimum to launch must be between 1 and the capacity ({capacity}).",
            fields={"minimum_to_launch": [f"1 to {capacity}."]},
        )


def _program_change(
    *, actor, program: GroupProgram, co_facilitators=None, **changes
) -> tuple[GroupProgram, list[Enrollment]]:
    """Lock the program, check every change against the others, then write them with one save; the caller's
    transaction. Returns the program and the seat offers a raised capacity made."""
    _check_fields(changes, PROGRAM_EDITABLE_FIELDS)
    program = program_lock(program.pk)
    capacity = changes.get("capacity", program.capacity)
    # The minimum is what a proposal needs to launch: once launched, a program that lost members may shrink below it.
    minimum = (
        changes.get("minimum_to_launch", program.minimum_to_launch) if program.stage == ProgramStage.PROPOSED else None
    )
    if "capacity" in changes:
        _capacity_check(program, capacity, minimum=minimum)
    if "minimum_to_launch" in changes:
        _minimum_check(program, minimum, capacity=capacity)
    for field, value in changes.items():
        setattr(program, field, value)
    program.full_clean()
    program.save()
    if co_facilitators is not None:
        program.co_facilitators.set([u for u in co_facilitators if u.pk != program.lead_facilitator_id])
    access_log_write(
        actor=actor,
        action="program_update",
        subject=program,
        detail={"fields": sorted(changes), "co_facilitators": co_facilitators is not None},
    )
    offers = free_seats_offer(program, actor=actor) if "capacity" in changes else []
    return program, offers


@transaction.atomic
def program_update(*, actor, program: GroupProgram, co_facilitators=None, **changes) -> GroupProgram:
    """Change a program's details (description, no-show policy, enrollment window, a proposed program's minimum to
    launch) and its capacity as one change: all of it is saved or, on any refusal, none of it.

    The capacity is checked first: never below the seats taken or offered (nobody loses a promised seat) nor below
    the minimum to launch the change leaves. A raised capacity is offered to the waitlist at once.
    """
    return _program_change(actor=actor, program=program, co_facilitators=co_facilitators, **changes)[0]


@transaction.atomic
def program_capacity_set(*, actor, program: GroupProgram, capacity: int) -> list[Enrollment]:
    """Change the number of seats alone (see program_update). Raising it by k makes up to k offers to the waitlist
    at once; returns the offers made."""
    return _program_change(actor=actor, program=program, capacity=capacity)[1]


def finished_program_ids(*, now: dt.datetime) -> list[int]:
    """Programs whose last meeting has ended and that still have people enrolled, offered or waiting."""
    return list(
        GroupProgram.objects.filter(enrollments__status__in=LIVE_STATUSES)
        .annotate(last_end=Max("meetings__appointment__end"))
        .filter(last_end__lt=now)
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )


def finished_programs_close() -> int:
    """Close every program whose last meeting has ended, one transaction each. Returns how many were closed."""
    finished = GroupProgram.objects.filter(pk__in=finished_program_ids(now=clock.now())).order_by("pk")
    closed = 0
    for program in finished:
        program_close(program=program)
        closed += 1
    return closed


@transaction.atomic
def program_close(*, program: GroupProgram) -> dict[str, int]:
    """After the last meeting: members have completed the program; anyone still waiting or holding an offer is told
    the program ended before a seat came free, so nobody is left on a list that will never move."""
    program = program_lock(program.pk)
    now = clock.now()
    live = list(
        program.enrollments.select_for_update(of=("self",))
        .select_related("patient", "program", "registrant")
        .filter(status__in=LIVE_STATUSES)
        .order_by("pk")
    )
    counts = {"completed": 0, "closed": 0}
    for enrollment in live:
        if enrollment.status == EnrollmentStatus.ENROLLED:
            enrollment.status, enrollment.ended_at = EnrollmentStatus.COMPLETED, now
            enrollment.save()
            enrollment_transition_write(
                enrollment, actor=None, was=EnrollmentStatus.ENROLLED, reason="The program ended."
            )
            counts["completed"] += 1
            continue
        ended_as = (
            EnrollmentStatus.EXPIRED if enrollment.status == EnrollmentStatus.OFFERED else EnrollmentStatus.WITHDRAWN
        )
        enrollment_end(enrollment, status=ended_as, reason=PROGRAM_OVER)
        waitlist_closed_notify(enrollment)
        counts["closed"] += 1
    return counts
