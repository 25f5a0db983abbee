"""Programs that form before they run: a proposed program gathers an interest list, then launches or is called off.

The interest list is the program's waitlist while it is proposed: a WAITLISTED enrollment per person with a ticket
taken under the program's row lock, so tickets are handed out in the order people registered and one person holds
one live place (the database's unique constraints). Nothing is offered while a program is proposed. At launch the
meetings are booked and the free seats go down the list through the offer engine (`seats.free_seats_offer`).
A program that does not launch tells everyone on its list, in one notice, what their next step is, and takes it for
them where it can: the next cohort's list, another running program, or the individual-slot waitlist at their fee.
Locks: programs in primary-key order, then enrollments in primary-key order (as in `seats`).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.urls import reverse

from apps.audit.services import access_log_write
from apps.billing.pricing import patient_fee_card
from apps.core import clock
from apps.core.errors import Conflict, InvalidTransition, Unprocessable
from apps.core.links import absolute_url
from apps.core.money import money_text
from apps.patients.services import patient_in_care_hold
from apps.scheduling.models import ServiceType
from apps.waitlist.models import LIVE_SLOT_REQUEST_STATUSES, SlotRequest
from apps.waitlist.services import slot_request_create

from ..models import (
    LIVE_STATUSES,
    SEATED_STATUSES,
    Enrollment,
    EnrollmentStatus,
    GroupProgram,
    ProgramKind,
    ProgramStage,
)
from ..registration_links import registration_manage_url
from .seats import (
    enrollment_end,
    enrollment_notify,
    enrollment_transition_write,
    free_seats_offer,
    program_enroll,
    program_lock,
)
from .setup import program_create, program_meetings_book

# The individual session a person who could not join a group waits for: the standard weekly 45-minute session.
INDIVIDUAL_SERVICE_CODE = "90834"
# Any weekday, during the day: the front desk narrows the times with the patient when they call.
SLOT_WAITLIST_WEEKDAYS = [0, 1, 2, 3, 4]
SLOT_WAITLIST_HOURS = (dt.time(8, 0), dt.time(19, 0))
DECISION_PASSED = "The decision date passed without the program launching."


# ---------------------------------------------------------------------------------------------------------------
# Proposing


def _decision_check(*, decision_on: dt.date | None, first_meeting_on: dt.date) -> None:
    today = clock.local_now().date()
    if decision_on is None:
        raise Unprocessable("Give a decision date.", fields={"decision_on": ["Required for a proposed program."]})
    if decision_on < today:
        raise Unprocessable("The decision date is in the past.", fields={"decision_on": ["Today or later."]})
    if decision_on > first_meeting_on:
        raise Unprocessable(
            "The decision date is after the first meeting.",
            fields={"decision_on": [f"On or before {first_meeting_on:%B} {first_meeting_on.day}."]},
        )


@transaction.atomic
def program_propose(*, actor, minimum_to_launch: int | None, decision_on: dt.date | None, **data) -> GroupProgram:
    """Create a program as proposed: it gathers an interest list; its meetings are booked when it launches."""
    capacity = data.get("capacity") or 0
    if minimum_to_launch is None or minimum_to_launch < 1:
        raise Unprocessable(
            "Give how many people the program needs to launch.", fields={"minimum_to_launch": ["At least 1."]}
        )
    if minimum_to_launch > capacity:
        raise Unprocessable(
            f"The minimum to launch ({minimum_to_launch}) is above the capacity ({capacity}).",
            fields={"minimum_to_launch": [f"At most {capacity}."]},
        )
    first = data.get("first_meeting_on")
    if first is None:
        raise Unprocessable("Give the first meeting's date.", fields={"first_meeting_on": ["Required."]})
    _decision_check(decision_on=decision_on, first_meeting_on=first)
    program = program_create(
        actor=actor, stage=ProgramStage.PROPOSED, minimum_to_launch=minimum_to_launch, decision_on=decision_on, **data
    )
    access_log_write(
        actor=actor,
        action="program_propose",
        subject=program,
        detail={"minimum_to_launch": minimum_to_launch, "decision_on": decision_on.isoformat()},
    )
    return program


def _proposed_lock(program_id: int) -> GroupProgram:
    program = program_lock(program_id)
    if program.stage != ProgramStage.PROPOSED:
        raise InvalidTransition(f"{program.title} is {program.get_stage_display().lower()}, not proposed.")
    return program


# ---------------------------------------------------------------------------------------------------------------
# Notices: one per event per person, by the outbox, with no clinical content


def _tell(enrollment: Enrollment, *, template: str, key_suffix: str = "", context: dict | None = None) -> None:
    context = {"program_kind": enrollment.program.get_kind_display(), **(context or {})}
    if enrollment.registrant_id is not None:
        # A member of the public has no portal: their registration's signed page is where the details are, and
        # the public lectures page is where another series is found.
        context |= {
            "program_url": registration_manage_url(enrollment),
            "lectures_url": absolute_url(reverse("lectures:list")),
        }
    enrollment_notify(enrollment, template=template, key_suffix=key_suffix, context=context)


def _interest_list(program: GroupProgram) -> list[Enrollment]:
    """The list in ticket order, locked (the caller holds the program lock)."""
    return list(
        program.enrollments.select_for_update(of=("self",))
        .select_related("patient", "registrant", "program")
        .filter(status=EnrollmentStatus.WAITLISTED)
        .order_by("waitlist_position")
    )


# ---------------------------------------------------------------------------------------------------------------
# The interest list


def line_join(
    *, program: GroupProgram, actor, patient=None, registrant=None, emails_consented_at=None, fee_tier: str = ""
) -> Enrollment:
    """Put the person at the end of the program's line with the next ticket. The caller holds the program lock, so
    tickets follow the order of registration; a second live place for the same person is refused with a 409.
    A member of the public comes with the time they agreed to emails about the series (the database requires it)
    and, for a series with a sliding fee, the price they chose."""
    if (patient is None) == (registrant is None):
        raise Unprocessable("Name a patient or a member of the public, not both.")
    if registrant is not None and emails_consented_at is None:
        raise Unprocessable("A member of the public joins only after agreeing to emails about the series.")
    if registrant is not None and program.kind != ProgramKind.LECTURE:
        raise Unprocessable("Members of the public can join lecture series only.")
    if patient is not None and not patient_in_care_hold(patient.pk):  # a discharge in flight is waited for
        raise Unprocessable("Only active patients can join.")
    person = Q(patient=patient) if patient is not None else Q(registrant=registrant)
    existing = program.enrollments.filter(person, status__in=LIVE_STATUSES).first()
    if existing is not None:
        raise Conflict(
            f"Already {existing.get_status_display().lower()} for {program.title}.", extra={"enrollment": existing.pk}
        )
    last = program.enrollments.filter(status=EnrollmentStatus.WAITLISTED).aggregate(last=Max("waitlist_position"))
    enrollment = Enrollment.objects.create(
        program=program,
        patient=patient,
        registrant=registrant,
        status=EnrollmentStatus.WAITLISTED,
        waitlist_position=(last["last"] or 0) + 1,
        emails_consented_at=emails_consented_at,
        fee_tier=fee_tier,
        created_by=actor,
    )
    enrollment_transition_write(enrollment, actor=actor, was="", reason="Joined the list.")
    return enrollment


@transaction.atomic
def interest_register(
    *, program: GroupProgram, patient=None, registrant=None, emails_consented_at=None, fee_tier: str = "", actor
) -> Enrollment:
    """Join a proposed program's interest list (a patient, or for a lecture series a member of the public).

    When the list reaches the program's minimum, everyone on it is told; whoever joins after is told on joining.
    """
    program = _proposed_lock(program.pk)
    enrollment = line_join(
        program=program,
        actor=actor,
        patient=patient,
        registrant=registrant,
        emails_consented_at=emails_consented_at,
        fee_tier=fee_tier,
    )
    waiting = _interest_list(program)
    if len(waiting) == program.minimum_to_launch:
        _minimum_tell(program, waiting)
    elif len(waiting) > program.minimum_to_launch:
        _minimum_tell(program, [enrollment])
    access_log_write(
        actor=actor,
        action="interest_register",
        subject=enrollment,
        patient_id=enrollment.patient_id,
        detail={"program": program.pk, "ticket": enrollment.waitlist_position},
    )
    return enrollment


def program_join(*, actor, program: GroupProgram, patient) -> Enrollment:
    """A patient asks to join a program: a proposed one puts them on its interest list, a launched one gives them a
    seat or a place on its waitlist. Each branch is an atomic service of its own, so this adds no transaction."""
    if program.stage == ProgramStage.PROPOSED:
        return interest_register(program=program, patient=patient, actor=actor)
    return program_enroll(actor=actor, program=program, patient=patient)


def _minimum_tell(program: GroupProgram, enrollments: list[Enrollment]) -> None:
    context = {"decision_on": program.decision_on.isoformat(), "minimum": program.minimum_to_launch}
    for enrollment in enrollments:
        _tell(enrollment, template="interest_minimum_reached", context=context)


@transaction.atomic
def interest_minimum_announce(*, program: GroupProgram) -> int:
    """After the list grew by a move or the minimum was lowered: if a proposed program's list has reached its
    minimum, tell everyone on it who has not been told (the notice is keyed per person). Returns the list's size
    when it has reached the minimum, else 0."""
    program = program_lock(program.pk)
    if program.stage != ProgramStage.PROPOSED:
        return 0
    waiting = _interest_list(program)
    if len(waiting) < program.minimum_to_launch:
        return 0
    _minimum_tell(program, waiting)
    return len(waiting)


# ---------------------------------------------------------------------------------------------------------------
# Launch, delay, call off


@transaction.atomic
def program_launch(*, program: GroupProgram, actor, override_reason: str = "") -> list[Enrollment]:
    """Launch a proposed program: book its meetings, then offer the free seats down the interest list in ticket
    order. Never more offers than seats (the seat trigger holds it too); the rest keep their place in line.
    Everyone on the list is told the program is going ahead. Returns the offers made."""
    program = _proposed_lock(program.pk)
    if refusal := launch_refusal(program):
        raise Unprocessable(refusal, fields={"first_meeting_on": ["Must be after today."]})
    program.stage = ProgramStage.LAUNCHED
    program.launched_at = clock.now()
    program.save(update_fields=["stage", "launched_at", "updated_at"])
    program_meetings_book(program=program, actor=actor, override_reason=override_reason)
    waiting = _interest_list(program)
    offers = free_seats_offer(program, actor=actor)
    context = {"first_meeting_on": program.first_meeting_on.isoformat()}
    for enrollment in waiting:
        _tell(enrollment, template="program_launched", context=context)
    access_log_write(
        actor=actor,
        action="program_launch",
        subject=program,
        detail={"interested": len(waiting), "offers": len(offers)},
    )
    return offers


def launch_refusal(program: GroupProgram) -> str:
    """Why a proposed program cannot launch now, "" when it can: its first meeting must still be ahead (then its
    decision date cannot move either, being on or before that meeting). The program page asks it first."""
    if program.first_meeting_on <= clock.local_now().date():
        return "The first meeting is not ahead any more: move the schedule or call the program off."
    return ""


@transaction.atomic
def program_decision_move(*, program: GroupProgram, decision_on: dt.date, actor) -> GroupProgram:
    """Move a proposed program's decision date; everyone on its list is told the new date (once per date)."""
    program = _proposed_lock(program.pk)
    _decision_check(decision_on=decision_on, first_meeting_on=program.first_meeting_on)
    if decision_on == program.decision_on:
        raise Unprocessable("That is already the decision date.", fields={"decision_on": ["Choose another date."]})
    was = program.decision_on
    program.decision_on = decision_on
    program.save(update_fields=["decision_on", "updated_at"])
    for enrollment in _interest_list(program):
        _tell(
            enrollment,
            template="program_delayed",
            key_suffix=f":{decision_on.isoformat()}",
            context={"decision_on": decision_on.isoformat()},
        )
    access_log_write(
        actor=actor,
        action="program_decision_move",
        subject=program,
        detail={"from": was.isoformat(), "to": decision_on.isoformat()},
    )
    return program


@dataclass(frozen=True)
class Alternative:
    """The next step offered to someone whose program did not launch, as the notice names it."""

    kind: str  # next_cohort, running, slot_waitlist, none
    title: str = ""
    date: str = ""  # ISO date: the alternative's first (or next) meeting
    fee: str = ""  # the patient's sliding-scale fee per individual session, as text

    def context(self) -> dict:
        return {
            "alternative_kind": self.kind,
            "alternative_title": self.title,
            "alternative_date": self.date,
            "alternative_fee": self.fee,
        }


def _next_cohort(program: GroupProgram) -> GroupProgram | None:
    """The next program of the same kind that starts later and still takes people: proposed, or launched and open
    for enrollment."""
    today = clock.local_now().date()
    return (
        GroupProgram.objects.filter(kind=program.kind, first_meeting_on__gt=program.first_meeting_on)
        .exclude(pk=program.pk)
        .filter(
            Q(stage=ProgramStage.PROPOSED)
            | Q(stage=ProgramStage.LAUNCHED, enrollment_closes_on__gte=today)
            | Q(stage=ProgramStage.LAUNCHED, enrollment_closes_on__isnull=True, first_meeting_on__gt=today)
        )
        .order_by("first_meeting_on", "pk")
        .first()
    )


def _running_with_seats(program: GroupProgram) -> GroupProgram | None:
    """Another launched program of the same kind, meeting still, with a seat free."""
    return (
        GroupProgram.objects.filter(kind=program.kind, stage=ProgramStage.LAUNCHED)
        .exclude(pk=program.pk)
        .annotate(
            seated=Count("enrollments", filter=Q(enrollments__status__in=SEATED_STATUSES), distinct=True),
            last_start=Max("meetings__appointment__start"),
        )
        .filter(last_start__gt=clock.now())
        .filter(capacity__gt=F("seated"))
        .order_by("first_meeting_on", "pk")
        .first()
    )


def _next_meeting_on(program: GroupProgram) -> str:
    """The date of the program's next meeting where it is held (a 9:30 PM meeting in Pasadena is on its own date)."""
    meeting = (
        program.meetings.select_related("appointment__location")
        .filter(appointment__start__gt=clock.now())
        .order_by("number")
        .first()
    )
    return meeting.appointment.local_start.date().isoformat() if meeting else ""


def _individual_service() -> ServiceType | None:
    individual = ServiceType.objects.filter(is_active=True, is_group=False)
    return individual.filter(code=INDIVIDUAL_SERVICE_CODE).first() or individual.order_by("code").first()


def _slot_waitlist_join(enrollment: Enrollment, *, actor) -> Alternative | None:
    """Put the patient on the individual-slot waitlist (or keep the request they have) and quote their fee from
    billing's fee card, the one the portal shows."""
    service = _individual_service()
    if service is None:
        return None
    patient = enrollment.patient
    live = SlotRequest.objects.filter(patient=patient, therapist=None, status__in=LIVE_SLOT_REQUEST_STATUSES)
    if not live.exists():
        slot_request_create(
            actor=actor,
            patient=patient,
            service_type=service,
            weekdays=SLOT_WAITLIST_WEEKDAYS,
            earliest_start=SLOT_WAITLIST_HOURS[0],
            latest_start=SLOT_WAITLIST_HOURS[1],
        )
    fees = patient_fee_card(patient=patient)["services"]
    fee = next((row["fee"] for row in fees if row["service"].pk == service.pk), None)
    return Alternative(kind="slot_waitlist", title=service.name, fee=money_text(fee) if fee is not None else "")


def _alternative_take(
    enrollment: Enrollment, *, next_cohort: GroupProgram | None, running: GroupProgram | None, actor
) -> Alternative:
    """The concrete next step for one person, taken for them where it can be: a place on the next cohort's list
    (keeping the order they registered in), else the name of a running program with a seat, else (patients) the
    individual-slot waitlist."""
    is_patient = enrollment.patient_id is not None
    if next_cohort is not None and (is_patient or next_cohort.kind == ProgramKind.LECTURE):
        try:
            # Their agreement to emails carries to the next cohort of the same series.
            line_join(
                program=next_cohort,
                actor=actor,
                patient=enrollment.patient,
                registrant=enrollment.registrant,
                emails_consented_at=enrollment.emails_consented_at,
                fee_tier=enrollment.fee_tier if next_cohort.fee_mode == enrollment.program.fee_mode else "",
            )
        except Conflict:
            pass  # already on it: that place is their next step
        except Unprocessable:
            next_cohort = None  # e.g. a discharged patient: fall through to what else there is
        if next_cohort is not None:
            date = next_cohort.first_meeting_on.isoformat()
            return Alternative(kind="next_cohort", title=next_cohort.title, date=date)
    if running is not None:
        return Alternative(kind="running", title=running.title, date=_next_meeting_on(running))
    # Read under the lock a discharge takes: one discharged since the list was read is not joined to anything.
    if is_patient and patient_in_care_hold(enrollment.patient_id):
        joined = _slot_waitlist_join(enrollment, actor=actor)
        if joined is not None:
            return joined
    return Alternative(kind="none")


@transaction.atomic
def program_call_off(*, program: GroupProgram, reason: str, actor) -> dict[str, int]:
    """Call off a proposed program (staff, or the daily check once its decision date has passed). Everyone on its
    list leaves it and gets one notice naming their next step, which is taken for them: see `_alternative_take`.
    Returns how many people were given each kind of alternative."""
    reason = (reason or "").strip()
    if not reason:
        raise Unprocessable("Give a reason for calling the program off.", fields={"reason": ["Required."]})
    next_cohort = _next_cohort(program)
    # Both programs' rows, in primary-key order, before anything else (a call-off of the next cohort at the same
    # moment takes them in the same order).
    for pk in sorted({program.pk, *([next_cohort.pk] if next_cohort else [])}):
        program_lock(pk)
    program = _proposed_lock(program.pk)
    if next_cohort is not None and _next_cohort(program) != next_cohort:
        # It changed before its lock was taken (called off, or closed, at the same moment): nobody is moved onto
        # a list that will not move; they are given what else there is.
        next_cohort = None
    elif next_cohort is not None:
        next_cohort = GroupProgram.objects.get(pk=next_cohort.pk)
    running = _running_with_seats(program)
    program.stage = ProgramStage.NOT_LAUNCHED
    program.called_off_at = clock.now()
    program.save(update_fields=["stage", "called_off_at", "updated_at"])
    counts: dict[str, int] = {}
    for enrollment in _interest_list(program):
        enrollment_end(enrollment, status=EnrollmentStatus.WITHDRAWN, reason=f"Did not launch: {reason}", actor=actor)
        alternative = _alternative_take(enrollment, next_cohort=next_cohort, running=running, actor=actor)
        _tell(enrollment, template="program_not_launched", context=alternative.context())
        counts[alternative.kind] = counts.get(alternative.kind, 0) + 1
    if next_cohort is not None and next_cohort.stage == ProgramStage.LAUNCHED:
        free_seats_offer(next_cohort, actor=actor)
    elif next_cohort is not None:
        interest_minimum_announce(program=next_cohort)
    access_log_write(actor=actor, action="program_call_off", subject=program, detail={"reason": reason, **counts})
    return counts


def programs_past_decision_ids(*, today: dt.date) -> list[int]:
    return list(
        GroupProgram.objects.filter(stage=ProgramStage.PROPOSED, decision_on__lt=today)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def programs_past_decision_call_off() -> int:
    """Daily: every proposed program whose decision date has passed without a launch is called off, one
    transaction each (one that launched meanwhile is skipped). Returns how many were called off."""
    called_off = 0
    for pk in programs_past_decision_ids(today=clock.local_now().date()):
        try:
            program_call_off(program=GroupProgram.objects.get(pk=pk), reason=DECISION_PASSED, actor=None)
        except InvalidTransition:
            continue
        called_off += 1
    return called_off
