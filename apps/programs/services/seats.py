"""Seats of group programs: enrollment, the waitlist and its order, and seat offers.

The seat invariant: enrolled members plus outstanding offers never exceed the program's capacity. Every service
that can take or free a seat first locks the program row (select_for_update), so seat decisions for one program
happen one at a time; a database trigger counts seats again under the same lock as a backstop. Locks are taken
program first, then enrollments in primary-key order. Seats are offered through the offer engine
(`apps.waitlist.offers`), like freed weekly slots.
"""

import datetime as dt
import functools

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from apps.core import clock
from apps.core.errors import Conflict, InvalidTransition, Unprocessable
from apps.core.links import absolute_url
from apps.core.transitions import transition_write
from apps.notifications.outbox import patient_notice_enqueue, public_notice_enqueue
from apps.patients.models import PatientStatus
from apps.patients.services import patient_in_care_hold
from apps.scheduling.models import BLOCKING_STATUSES
from apps.scheduling.reminders import reader_zone_context
from apps.waitlist.offers import offer_check_open, offer_hold, offer_links, offer_notify, offer_problem

from ..models import (
    LIVE_STATUSES,
    SEATED_STATUSES,
    Enrollment,
    EnrollmentStatus,
    EnrollmentTransition,
    GroupProgram,
    ProgramMeeting,
    ProgramStage,
    WaitlistMove,
)
from ..registration_links import registration_manage_url

SEAT = "seat"  # the offer kind, named in signed links
# Who is served from the waitlist: active patients (a discharged one keeps their place but is passed over) and
# members of the public.
SERVABLE = Q(patient__status=PatientStatus.ACTIVE) | Q(patient__isnull=True)
# A registrant's notices say the same things as a patient's, in words for someone with no portal account.
PUBLIC_TEMPLATES = {
    "seat_offer": "lecture_seat_offer",
    "seat_offer_expired": "lecture_seat_offer_expired",
    "enrollment_confirmed": "lecture_registration_confirmed",
    "enrollment_waitlisted": "lecture_registration_waitlisted",
    "waitlist_closed": "lecture_waitlist_closed",
    "interest_registered": "lecture_interest_registered",
}


def program_lock(program_id: int) -> GroupProgram:
    return GroupProgram.objects.select_for_update().get(pk=program_id)


def enrollment_lock(enrollment_id: int) -> Enrollment:
    """Lock an enrollment whose program the caller has locked already (`program_lock`): the program first, then the
    enrollment, in every service, so a withdrawal and an attendance sheet never wait on each other in a cycle."""
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("patient", "program", "registrant")
        .get(pk=enrollment_id)
    )


def seats_taken(*, program: GroupProgram) -> int:
    return program.enrollments.filter(status__in=SEATED_STATUSES).count()


def program_url(program: GroupProgram) -> str:
    return absolute_url(reverse("portal:programs:detail", args=[program.pk]))


def registrant_notify(
    enrollment: Enrollment, *, template: str, key: str, context: dict, expires_at: dt.datetime | None = None
) -> None:
    """Email a member of the public about their registration: no name beyond the one they gave, nothing clinical,
    and always the signed link to manage it (they have no account to sign in to). Not sent from `expires_at` on."""
    program = enrollment.program
    public_notice_enqueue(
        email=enrollment.registrant.email,
        subject=enrollment,
        # Notices about a program's formation use the same template for patients and registrants.
        template=PUBLIC_TEMPLATES.get(template, template),
        key=key,
        context={
            "registrant_name": enrollment.registrant.name,
            "program_title": program.title,
            "manage_url": registration_manage_url(enrollment),
            **context,
        },
        expires_at=expires_at,
    )


def _notify_offer(enrollment: Enrollment) -> None:
    program = enrollment.program
    key = f"enrollment:{enrollment.pk}:seat_offer:{enrollment.offer_count}"
    if enrollment.registrant_id:
        links = offer_links(
            kind=SEAT, object_id=enrollment.pk, offer_number=enrollment.offer_count, landing="lectures:offer_link"
        )
        registrant_notify(
            enrollment,
            template="seat_offer",
            key=key,
            context={"deadline": enrollment.offer_expires_at.isoformat(), **links},
            expires_at=enrollment.offer_expires_at,
        )
        return
    offer_notify(
        kind=SEAT,
        object_id=enrollment.pk,
        offer_number=enrollment.offer_count,
        patient=enrollment.patient,
        subject=enrollment,
        template="seat_offer",
        key=key,
        context={
            "program_title": program.title,
            "deadline": enrollment.offer_expires_at.isoformat(),
            "program_url": program_url(program),
        },
        expires_at=enrollment.offer_expires_at,
    )


def enrollment_notify(enrollment: Enrollment, *, template: str, key_suffix: str = "", context: dict | None = None):
    """Email the patient (or the registrant) about their place in a program (no text: only offers are urgent
    enough), keyed on the enrollment and the template so a repeated call queues nothing."""
    program = enrollment.program
    key = f"enrollment:{enrollment.pk}:{template}{key_suffix}"
    if enrollment.registrant_id:
        registrant_notify(enrollment, template=template, key=key, context=context or {})
        return
    patient_notice_enqueue(
        patient=enrollment.patient,
        subject=enrollment,
        template=template,
        key=key,
        context={"program_title": program.title, "program_url": program_url(program), **(context or {})},
        sms=False,
    )


def _notify_confirmed(enrollment: Enrollment) -> None:
    # Someone enrolled late is told their own first meeting: the next one still to come.
    first = (
        enrollment.program.meetings.select_related("appointment")
        .filter(appointment__start__gt=clock.now())
        .order_by("number")
        .first()
    )
    context = {"first_meeting": ""}
    if first is not None:  # told on its office's clock, as its reminders tell it
        context = {"first_meeting": first.appointment.start.isoformat(), "time_zone": first.appointment.zone.key}
        if enrollment.patient is not None:
            context.update(reader_zone_context(enrollment.patient))
    enrollment_notify(enrollment, template="enrollment_confirmed", context=context)


def enrollment_transition_write(enrollment: Enrollment, *, actor, was: str, reason: str = "") -> None:
    """Every status change of an enrollment is written as a transition row in its transaction (who, from, to, why)."""
    transition_write(EnrollmentTransition, enrollment, actor=actor, was=was, reason=reason)


def _offer_seat(enrollment: Enrollment, *, hold: dt.timedelta, now: dt.datetime, actor) -> None:
    was = enrollment.status
    enrollment.status = EnrollmentStatus.OFFERED
    enrollment.waitlist_position = None
    enrollment.offer_count += 1
    enrollment.offered_at = now
    enrollment.offer_expires_at = now + hold
    enrollment.save()
    enrollment_transition_write(enrollment, actor=actor, was=was, reason=f"Seat offer {enrollment.offer_count}.")
    _notify_offer(enrollment)


def _waiting_to_serve(program: GroupProgram):
    """Who freed seats go to, first in line first: the waitlisted, passing over a discharged patient."""
    return program.enrollments.filter(SERVABLE, status=EnrollmentStatus.WAITLISTED).order_by("waitlist_position")


def _meeting_to_come_q(now: dt.datetime, *, program: str = "") -> Q:
    """The one definition of "a meeting of the program is still to start" at `now`, as a Q on programs (`program`
    empty) or on rows that name one (`program="program"`: enrollments). A cancelled meeting is not to come. A
    program with no meetings booked counts from its first meeting's day on the clinic's clock, as its enrollment
    deadline does: it still meets until that day has passed."""
    prefix = f"{program}__" if program else ""
    meetings = ProgramMeeting.objects.filter(program=OuterRef(f"{program}_id" if program else "pk"))
    to_come = meetings.filter(appointment__start__gt=now, appointment__status__in=BLOCKING_STATUSES)
    today = timezone.localtime(now, clock.clinic_tz()).date()
    return Q(Exists(to_come)) | (~Q(Exists(meetings)) & Q(**{f"{prefix}first_meeting_on__gte": today}))


def _meeting_to_come(program: GroupProgram) -> bool:
    """Whether a meeting of the program is still to start now, by `_meeting_to_come_q`."""
    return GroupProgram.objects.filter(pk=program.pk).filter(_meeting_to_come_q(clock.now())).exists()


def withdrawal_preview(enrollment: Enrollment) -> dict:
    """What withdrawing `enrollment` would do, for the confirmation staff see first: whether it frees a seat, and
    who that seat would be offered to (by the rule `free_seats_offer` follows)."""
    program = enrollment.program
    frees_seat = enrollment.status in SEATED_STATUSES and seats_taken(program=program) - 1 < program.capacity
    meets_again = _meeting_to_come(program)
    offered_to = None
    if frees_seat and program.stage == ProgramStage.LAUNCHED and meets_again:
        offered_to = _waiting_to_serve(program).select_related("patient", "registrant").first()
    return {
        "frees_seat": frees_seat,
        "offered_to": offered_to,
        "meets_again": meets_again,
        "hold_hours": int(offer_hold().total_seconds() // 3600),
    }


def free_seats_offer(program: GroupProgram, *, actor=None) -> list[Enrollment]:
    """Offer every free seat to the waitlist, first in line first. The caller holds the program lock; `actor` is
    whoever freed the seats (None: the system).

    A discharged patient keeps their place but is passed over while discharged. A program that has not launched
    offers nothing: its interest list waits for the launch. Nor does one with no meeting left to start: such a seat
    is nothing to take, and the people waiting are told the program ended when it closes.
    """
    free = program.capacity - seats_taken(program=program)
    if free <= 0 or program.stage != ProgramStage.LAUNCHED or not _meeting_to_come(program):
        return []
    next_in_line = _first_in_care(program, count=free)
    hold = offer_hold()
    now = clock.now()
    for enrollment in next_in_line:
        _offer_seat(enrollment, hold=hold, now=now, actor=actor)
    return next_in_line


def _first_in_care(program: GroupProgram, *, count: int) -> list[Enrollment]:
    """The first `count` in line to serve, each patient's care read under the lock a discharge takes: one
    discharged since the line was read (a discharge in flight is waited for) is passed over like those before."""
    chosen: list[Enrollment] = []
    passed: list[int] = []
    while len(chosen) < count:
        batch = list(
            _waiting_to_serve(program)
            .exclude(pk__in=passed + [e.pk for e in chosen])
            .select_for_update(of=("self",))
            .select_related("patient", "program", "registrant")[: count - len(chosen)]
        )
        if not batch:
            break
        for enrollment in batch:
            if enrollment.patient_id is None or patient_in_care_hold(enrollment.patient_id):
                chosen.append(enrollment)
            else:
                passed.append(enrollment.pk)
    return chosen


def _enrollment_deadline(program: GroupProgram, *, by_staff: bool) -> dt.date:
    if by_staff:
        last = program.meetings.select_related("appointment").order_by("-number").first()
        return last.appointment.start.astimezone(clock.clinic_tz()).date() if last else program.first_meeting_on
    return program.enrollment_closes_on or program.first_meeting_on


def join_refusal(program: GroupProgram, *, by_staff: bool) -> str:
    """Why `program_join` would turn a newcomer away now, "" when it would not: a proposed program's interest list
    takes names; a launched one, within its enrollment window."""
    if program.stage == ProgramStage.PROPOSED:
        return ""
    return enrollment_window_refusal(program, by_staff=by_staff)


def enrollment_window_check(program: GroupProgram, *, by_staff: bool) -> None:
    """Refuse outside the enrollment window (`enrollment_window_refusal`)."""
    if refusal := enrollment_window_refusal(program, by_staff=by_staff):
        raise Unprocessable(refusal)


def enrollment_window_refusal(program: GroupProgram, *, by_staff: bool) -> str:
    """Why nobody can enroll now, "" when they can: people enroll within the window; staff may also enroll late, up
    to the last meeting. A program that has not launched takes nobody: a proposed one gathers an interest list
    instead. The pages ask it before offering to enroll."""
    if program.stage != ProgramStage.LAUNCHED:
        return (
            f"{program.title} has not launched: join its interest list instead."
            if program.stage == ProgramStage.PROPOSED
            else f"{program.title} did not launch."
        )
    today = clock.local_now().date()
    if today < program.enrollment_opens_on and not by_staff:
        return f"Enrollment opens on {program.enrollment_opens_on:%B} {program.enrollment_opens_on.day}."
    if today > _enrollment_deadline(program, by_staff=by_staff):
        return "Enrollment for this program has closed."
    return ""


def seat_or_place_in_line(program: GroupProgram, *, actor, **member) -> Enrollment:
    """A free seat for the newcomer (`patient=` or `registrant=`, with any other enrollment fields), or a place at
    the end of the waitlist. The caller holds the program lock and has checked the window.

    A free seat goes to a newcomer only when nobody is waiting: people in line come first. Patients and members of
    the public share one count of seats and one line.
    """
    now = clock.now()
    waiting = program.enrollments.filter(status=EnrollmentStatus.WAITLISTED)
    if seats_taken(program=program) < program.capacity and not waiting.filter(SERVABLE).exists():
        enrollment = Enrollment.objects.create(
            program=program, status=EnrollmentStatus.ENROLLED, enrolled_at=now, created_by=actor, **member
        )
        enrollment_transition_write(enrollment, actor=actor, was="")
        _notify_confirmed(enrollment)
        return enrollment
    last = waiting.aggregate(last=Max("waitlist_position"))["last"] or 0
    enrollment = Enrollment.objects.create(
        program=program,
        status=EnrollmentStatus.WAITLISTED,
        waitlist_position=last + 1,
        created_by=actor,
        **member,
    )
    enrollment_transition_write(enrollment, actor=actor, was="")
    # A seat can be free while people wait when someone passed over has just come back into care (their
    # reactivation offers it once it commits): offer it now, to whoever is first in line.
    if free_seats_offer(program, actor=actor):
        enrollment.refresh_from_db()
    return enrollment


# Where a live enrollment leaves its patient, as the refusal of a second one says it.
ALREADY_IN = {
    EnrollmentStatus.ENROLLED: "enrolled in this program",
    EnrollmentStatus.WAITLISTED: "on this program's waitlist",
    EnrollmentStatus.OFFERED: "offered a seat in this program",
}


@transaction.atomic
def program_enroll(*, actor, program: GroupProgram, patient) -> Enrollment:
    """Give the patient a free seat, or a place at the end of the waitlist (see `seat_or_place_in_line`).

    Patients enroll within the enrollment window; staff may also enroll late, up to the last meeting.
    """
    program = program_lock(program.pk)
    enrollment_window_check(program, by_staff=actor is not None and actor.is_clinic_staff)
    if not patient_in_care_hold(patient.pk):  # read under a lock a discharge in flight is waited for
        raise Unprocessable("Only active patients can enroll.")
    existing = program.enrollments.filter(patient=patient, status__in=LIVE_STATUSES).first()
    if existing is not None:
        who = "You are" if actor is not None and actor.pk == patient.user_id else "This patient is"
        raise Conflict(f"{who} already {ALREADY_IN[existing.status]}.", extra={"enrollment": existing.pk})
    return seat_or_place_in_line(program, actor=actor, patient=patient)


def enrollment_end(enrollment: Enrollment, *, status: str, reason: str = "", actor=None) -> None:
    """End a live enrollment (declined, expired, withdrawn): it leaves the line and gives up any seat."""
    was = enrollment.status
    enrollment.status = status
    enrollment.waitlist_position = None
    enrollment.ended_at = clock.now()
    enrollment.end_reason = reason
    enrollment.save()
    enrollment_transition_write(enrollment, actor=actor, was=was, reason=reason)


@transaction.atomic
def enrollment_withdraw(*, actor, enrollment: Enrollment, reason: str = "") -> Enrollment:
    """Leave the program or the waitlist, or give back an offered seat. A freed seat is offered on at once.

    Withdrawing stops charges for later meetings: only members who attend are charged.
    """
    program = program_lock(enrollment.program_id)
    enrollment = enrollment_lock(enrollment.pk)
    if enrollment.status not in LIVE_STATUSES:
        raise InvalidTransition(f"This enrollment is already {enrollment.get_status_display().lower()}.")
    freed_seat = enrollment.status in SEATED_STATUSES
    enrollment_end(enrollment, status=EnrollmentStatus.WITHDRAWN, reason=reason, actor=actor)
    if freed_seat:
        free_seats_offer(program, actor=actor)
    return enrollment


def seat_offer_open_check(enrollment: Enrollment, *, offer_number: int | None = None) -> dict:
    """The seat offer as the engine checks it: open while offered, answered by its latest link, until its deadline."""
    offered = enrollment.status == EnrollmentStatus.OFFERED
    return {
        "noun": "seat",
        "closed": ""
        if offered
        else f"There is no open seat offer: the enrollment is {enrollment.get_status_display()}.",
        "expires_at": enrollment.offer_expires_at,
        "offer_number": offer_number,
        "current_number": enrollment.offer_count,
    }


PROGRAM_OVER = "The program ended before a seat came free."


def program_over_refusal(program: GroupProgram) -> str:
    """Why a seat of `program` can no longer be taken, "" while it can: once its last meeting has begun there is
    nothing to take. Offers are no longer made then (`free_seats_offer`), and one still open cannot be accepted."""
    if program.stage == ProgramStage.LAUNCHED and not _meeting_to_come(program):
        return f"The last meeting of {program.title} has begun, so its seat can no longer be taken."
    return ""


def seat_offer_problem(enrollment: Enrollment, *, offer_number: int | None = None) -> str:
    """Why the seat offer cannot be accepted now, "" while it can: the engine's check (closed, answered by an
    earlier link, past its deadline), then the program's (its last meeting has begun: `program_over_refusal`). The
    one rule the offer pages show the Accept button by and `enrollment_accept_offer` refuses by."""
    problem = offer_problem(**seat_offer_open_check(enrollment, offer_number=offer_number))
    return problem or program_over_refusal(enrollment.program)


def _offer_end_program_over(enrollment: Enrollment) -> None:
    """End an open offer of a program whose last meeting has begun, as the program's closing would (expired), and
    tell its holder, pointing to other programs."""
    enrollment_end(enrollment, status=EnrollmentStatus.EXPIRED, reason=PROGRAM_OVER)
    waitlist_closed_notify(enrollment)


def waitlist_closed_notify(enrollment: Enrollment) -> None:
    """Tell someone waiting or holding an offer that the program ended before a seat came free."""
    programs_url = absolute_url(reverse("portal:programs:list"))
    enrollment_notify(enrollment, template="waitlist_closed", context={"programs_url": programs_url})


def enrollment_accept_offer(*, actor, enrollment: Enrollment, offer_number: int | None = None) -> Enrollment:
    """Take the offered seat. The seat was already counted when it was offered, so this never overfills.

    An offer still open when the program's last meeting has begun is refused (409) and ends there and then
    (expired, its holder told): that ending is committed before the refusal is raised."""
    enrollment, refusal = _seat_offer_take(actor=actor, enrollment=enrollment, offer_number=offer_number)
    if refusal:
        raise Conflict(refusal)
    return enrollment


@transaction.atomic
def _seat_offer_take(*, actor, enrollment: Enrollment, offer_number: int | None) -> tuple[Enrollment, str]:
    program_lock(enrollment.program_id)
    enrollment = enrollment_lock(enrollment.pk)
    offer_check_open(**seat_offer_open_check(enrollment, offer_number=offer_number))
    # The offer is open by the engine's check, so what refuses it now is the program being over: it ends here.
    if refusal := program_over_refusal(enrollment.program):
        _offer_end_program_over(enrollment)
        return enrollment, refusal
    if enrollment.patient_id is not None and not patient_in_care_hold(enrollment.patient_id):
        raise Unprocessable("This patient has been discharged: call the front desk to come back into care.")
    enrollment.status = EnrollmentStatus.ENROLLED
    enrollment.enrolled_at = clock.now()
    enrollment.save()
    enrollment_transition_write(enrollment, actor=actor, was=EnrollmentStatus.OFFERED)
    _notify_confirmed(enrollment)
    return enrollment, ""


@transaction.atomic
def enrollment_decline_offer(*, actor, enrollment: Enrollment, offer_number: int | None = None) -> Enrollment:
    """Turn the seat down; it goes to the next person in line."""
    program = program_lock(enrollment.program_id)
    enrollment = enrollment_lock(enrollment.pk)
    offer_check_open(**seat_offer_open_check(enrollment, offer_number=offer_number))
    enrollment_end(enrollment, status=EnrollmentStatus.DECLINED, reason="Declined the seat offer.", actor=actor)
    free_seats_offer(program, actor=actor)
    return enrollment


def seat_offers_decline_on_discharge(*, actor, patient) -> None:
    """A discharged patient's open seat offers are declined and their seats go to the next in line once the
    discharge commits (a patients.extensions reaction, under the discharge's lock on the patient). A program whose
    row another transaction holds (an answer to this very offer in flight) is left alone rather than waited for,
    since that answer may itself be waiting on the discharge: accepting then finds the patient discharged, and the
    offer expires in its time."""
    offered = Enrollment.objects.filter(patient=patient, status=EnrollmentStatus.OFFERED).order_by("program_id", "pk")
    for enrollment_id, program_id in offered.values_list("pk", "program_id"):
        program = GroupProgram.objects.select_for_update(skip_locked=True).filter(pk=program_id).first()
        if program is None:
            continue
        enrollment = enrollment_lock(enrollment_id)
        if enrollment.status != EnrollmentStatus.OFFERED:
            continue
        enrollment_end(enrollment, status=EnrollmentStatus.DECLINED, reason="Discharged.", actor=actor)
        transaction.on_commit(functools.partial(_seats_pass_on, program_id, actor=actor), robust=True)


def seat_offers_on_reactivation(*, actor, patient) -> None:
    """A patient back in care is served again in the lines they were passed over in: each program they wait for
    offers its free seats down its line once the reactivation commits (a patients.extensions reaction, under the
    reactivation's lock on the patient), so a seat that came free while they were discharged is offered to them if
    they are first."""
    waiting_in = Enrollment.objects.filter(patient=patient, status=EnrollmentStatus.WAITLISTED)
    for program_id in waiting_in.values_list("program_id", flat=True).distinct().order_by("program_id"):
        transaction.on_commit(functools.partial(_seats_pass_on, program_id, actor=actor), robust=True)


def _seats_pass_on(program_id: int, *, actor) -> None:
    """Offer a program's free seats down its line, in a transaction of its own: after a discharge or a reactivation
    has committed, since offering reads each next person's row under a lock, which must not be waited for while the
    patient's is held (their own discharge could be waiting on this one's), and locks the program, which comes
    before any patient's row."""
    with transaction.atomic():
        free_seats_offer(program_lock(program_id), actor=actor)


def _program_over_q(now: dt.datetime) -> Q:
    """Q for enrollments of a launched program with no meeting to come at `now` (`_meeting_to_come_q`, the rule
    `program_over_refusal` reads too): an open offer of theirs can no longer be taken."""
    return Q(program__stage=ProgramStage.LAUNCHED) & ~_meeting_to_come_q(now, program="program")


def seat_offers_due(now: dt.datetime) -> list[int]:
    """Programs with unclaimed seat offers past their deadline, or open when the program's last meeting has begun.
    Each is handled in its own transaction, so one busy program never holds up another."""
    return list(
        Enrollment.objects.filter(status=EnrollmentStatus.OFFERED)
        .filter(Q(offer_expires_at__lte=now) | _program_over_q(now))
        .values_list("program_id", flat=True)
        .distinct()
        .order_by("program_id")
    )


@transaction.atomic
def program_seat_offers_expire(program_id: int, *, now: dt.datetime) -> int:
    """Expire the program's unclaimed offers past their deadline and pass each seat to the next in line. Once the
    program's last meeting has begun, its open offers end too (expired, each holder told the program ended)."""
    program = program_lock(program_id)
    due = list(
        program.enrollments.select_for_update(of=("self",))
        .select_related("patient", "program", "registrant")
        .filter(status=EnrollmentStatus.OFFERED, offer_expires_at__lte=now)
        .order_by("pk")
    )
    for enrollment in due:
        enrollment_end(enrollment, status=EnrollmentStatus.EXPIRED, reason="The seat offer was not answered in time.")
        enrollment_notify(enrollment, template="seat_offer_expired", key_suffix=f":{enrollment.offer_count}")
    free_seats_offer(program)
    over = []
    if program_over_refusal(program):
        over = list(
            program.enrollments.select_for_update(of=("self",))
            .select_related("patient", "program", "registrant")
            .filter(status=EnrollmentStatus.OFFERED)
            .order_by("pk")
        )
        for enrollment in over:
            _offer_end_program_over(enrollment)
    return len(due) + len(over)


@transaction.atomic
def enrollment_move(*, actor, enrollment: Enrollment, to_rank: int, reason: str) -> WaitlistMove:
    """Move someone to another place in line, with a reason that is kept."""
    reason = (reason or "").strip()
    if not reason:
        raise Unprocessable("Give a reason for changing the waitlist order.", fields={"reason": ["Required."]})
    program = program_lock(enrollment.program_id)
    line = list(
        program.enrollments.select_for_update().filter(status=EnrollmentStatus.WAITLISTED).order_by("waitlist_position")
    )
    ids = [e.pk for e in line]
    if enrollment.pk not in ids:
        raise InvalidTransition("Only people on the waitlist can be moved.")
    if not 1 <= to_rank <= len(line):
        raise Unprocessable(f"The place must be between 1 and {len(line)}.", fields={"to_rank": ["Out of range."]})
    from_rank = ids.index(enrollment.pk) + 1
    moving = line.pop(from_rank - 1)
    line.insert(to_rank - 1, moving)
    # New tickets above every current one, so no two rows ever share a position mid-way.
    base = max(e.waitlist_position for e in line)
    for offset, row in enumerate(line, start=1):
        Enrollment.objects.filter(pk=row.pk).update(waitlist_position=base + offset, updated_at=clock.now())
    return WaitlistMove.objects.create(
        enrollment=moving, from_rank=from_rank, to_rank=to_rank, reason=reason, moved_by=actor
    )
