"""Every write to group programs: enrollment, the waitlist, seat offers and attendance.

The seat invariant: enrolled members plus outstanding offers never exceed the program's
capacity. Every service that can take or free a seat first locks the program row
(select_for_update), so seat decisions for one program happen one at a time; a database
trigger counts seats again under the same lock as a backstop. Locks are taken program first,
then enrollments in primary-key order.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Max, Prefetch, Q
from django.urls import reverse

from apps.accounts.models import ClinicSettings
from apps.billing.services import charge_for_group_attendance
from apps.core import clock
from apps.core.errors import ApplicationError, Conflict, InvalidTransition, Unprocessable
from apps.core.links import absolute_url
from apps.core.transitions import transition_write
from apps.notifications.models import Channel
from apps.notifications.services import message_enqueue, patient_notice_enqueue
from apps.outcomes.instruments import INSTRUMENTS
from apps.outcomes.services import questionnaire_assign, questionnaires_due_notify
from apps.patients.models import PatientStatus
from apps.scheduling.models import BLOCKING_STATUSES, Weekday
from apps.scheduling.selectors import series_ended_since
from apps.scheduling.services import appointment_book, series_book, series_dates

from . import selectors
from .models import (
    LIVE_SLOT_REQUEST_STATUSES,
    LIVE_STATUSES,
    SEATED_STATUSES,
    Attendance,
    AttendanceStatus,
    Enrollment,
    EnrollmentStatus,
    EnrollmentTransition,
    FreedSlot,
    FreedSlotStatus,
    GroupProgram,
    ProgramMeeting,
    SlotOffer,
    SlotOfferStatus,
    SlotRequest,
    SlotRequestStatus,
    WaitlistMove,
)
from .selectors import members_at_q
from .tokens import offer_token_make


def _lock_program(program_id: int) -> GroupProgram:
    return GroupProgram.objects.select_for_update().get(pk=program_id)


def _lock_enrollment(enrollment_id: int) -> Enrollment:
    return Enrollment.objects.select_for_update().select_related("patient", "program").get(pk=enrollment_id)


def seats_taken(*, program: GroupProgram) -> int:
    return program.enrollments.filter(status__in=SEATED_STATUSES).count()


def offer_links(*, kind: str, object_id: int, offer_number: int) -> dict[str, str]:
    """Absolute accept and decline links for one offer (a program seat or an individual slot)."""
    links = {}
    for action in ("accept", "decline"):
        token = offer_token_make(kind=kind, object_id=object_id, offer_number=offer_number, action=action)
        links[f"{action}_url"] = absolute_url(reverse("portal:programs:offer_link", args=[token]))
    return links


def _program_url(program: GroupProgram) -> str:
    return absolute_url(reverse("portal:programs:detail", args=[program.pk]))


def _notify_offer(enrollment: Enrollment) -> None:
    program = enrollment.program
    patient_notice_enqueue(
        patient=enrollment.patient,
        subject=enrollment,
        template="seat_offer",
        key=f"enrollment:{enrollment.pk}:seat_offer:{enrollment.offer_count}",
        context={
            "program_title": program.title,
            "deadline": enrollment.offer_expires_at.isoformat(),
            "program_url": _program_url(program),
            **offer_links(kind="seat", object_id=enrollment.pk, offer_number=enrollment.offer_count),
        },
    )


def _notify_confirmed(enrollment: Enrollment) -> None:
    program = enrollment.program
    # Someone enrolled late is told their own first meeting: the next one still to come.
    first = (
        program.meetings.select_related("appointment")
        .filter(appointment__start__gt=clock.now())
        .order_by("number")
        .first()
    )
    patient_notice_enqueue(
        patient=enrollment.patient,
        subject=enrollment,
        template="enrollment_confirmed",
        key=f"enrollment:{enrollment.pk}:enrollment_confirmed",
        context={
            "program_title": program.title,
            "first_meeting": first.appointment.start.isoformat() if first else "",
            "program_url": _program_url(program),
        },
        sms=False,
    )


def _notify_expired(enrollment: Enrollment) -> None:
    patient_notice_enqueue(
        patient=enrollment.patient,
        subject=enrollment,
        template="seat_offer_expired",
        key=f"enrollment:{enrollment.pk}:seat_offer_expired:{enrollment.offer_count}",
        context={"program_title": enrollment.program.title, "program_url": _program_url(enrollment.program)},
        sms=False,
    )


def _transition_write(enrollment: Enrollment, *, actor, was: str, reason: str = "") -> None:
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
    _transition_write(enrollment, actor=actor, was=was, reason=f"Seat offer {enrollment.offer_count}.")
    _notify_offer(enrollment)


def _fill_free_seats(program: GroupProgram, *, actor=None) -> list[Enrollment]:
    """Offer every free seat to the waitlist, first in line first. The caller holds the program lock; `actor` is
    whoever freed the seats (None: the system).

    A discharged patient keeps their place but is passed over while discharged.
    """
    free = program.capacity - seats_taken(program=program)
    if free <= 0:
        return []
    next_in_line = list(
        program.enrollments.select_for_update(of=("self",))
        .select_related("patient", "program")
        .filter(status=EnrollmentStatus.WAITLISTED, patient__status=PatientStatus.ACTIVE)
        .order_by("waitlist_position")[:free]
    )
    hold = dt.timedelta(hours=ClinicSettings.load().seat_offer_hold_hours)
    now = clock.now()
    for enrollment in next_in_line:
        _offer_seat(enrollment, hold=hold, now=now, actor=actor)
    return next_in_line


def _enrollment_deadline(program: GroupProgram, *, by_staff: bool) -> dt.date:
    if by_staff:
        last = program.meetings.select_related("appointment").order_by("-number").first()
        return last.appointment.start.astimezone(clock.clinic_tz()).date() if last else program.first_meeting_on
    return program.enrollment_closes_on or program.first_meeting_on


@transaction.atomic
def program_enroll(*, actor, program: GroupProgram, patient) -> Enrollment:
    """Give the patient a free seat, or a place at the end of the waitlist.

    A free seat goes to a newcomer only when nobody is waiting: people in line come first.
    Patients enroll within the enrollment window; staff may also enroll late, up to the last meeting.
    """
    program = _lock_program(program.pk)
    by_staff = actor is not None and actor.is_clinic_staff
    today = clock.local_now().date()
    if today < program.enrollment_opens_on and not by_staff:
        raise Unprocessable(f"Enrollment opens on {program.enrollment_opens_on:%B} {program.enrollment_opens_on.day}.")
    if today > _enrollment_deadline(program, by_staff=by_staff):
        raise Unprocessable("Enrollment for this program has closed.")
    if patient.status != PatientStatus.ACTIVE:
        raise Unprocessable("Only active patients can enroll.")
    existing = program.enrollments.filter(patient=patient, status__in=LIVE_STATUSES).first()
    if existing is not None:
        raise Conflict(
            f"This patient is already {existing.get_status_display().lower()} for this program.",
            extra={"enrollment": existing.pk},
        )
    now = clock.now()
    waiting = program.enrollments.filter(status=EnrollmentStatus.WAITLISTED)
    someone_waiting = waiting.filter(patient__status=PatientStatus.ACTIVE).exists()
    if seats_taken(program=program) < program.capacity and not someone_waiting:
        enrollment = Enrollment.objects.create(
            program=program, patient=patient, status=EnrollmentStatus.ENROLLED, enrolled_at=now, created_by=actor
        )
        _transition_write(enrollment, actor=actor, was="")
        _notify_confirmed(enrollment)
        return enrollment
    last = waiting.aggregate(last=Max("waitlist_position"))["last"] or 0
    enrollment = Enrollment.objects.create(
        program=program,
        patient=patient,
        status=EnrollmentStatus.WAITLISTED,
        waitlist_position=last + 1,
        created_by=actor,
    )
    _transition_write(enrollment, actor=actor, was="")
    # A seat can be free while people wait only if someone was passed over (discharged, since back): offer it now.
    if _fill_free_seats(program, actor=actor):
        enrollment.refresh_from_db()
    return enrollment


def _end(enrollment: Enrollment, *, status: str, reason: str = "", actor=None) -> None:
    was = enrollment.status
    enrollment.status = status
    enrollment.waitlist_position = None
    enrollment.ended_at = clock.now()
    enrollment.end_reason = reason
    enrollment.save()
    _transition_write(enrollment, actor=actor, was=was, reason=reason)


@transaction.atomic
def enrollment_withdraw(*, actor, enrollment: Enrollment, reason: str = "") -> Enrollment:
    """Leave the program or the waitlist, or give back an offered seat. A freed seat is offered on at once.

    Withdrawing stops charges for later meetings: only members who attend are charged.
    """
    program = _lock_program(enrollment.program_id)
    enrollment = _lock_enrollment(enrollment.pk)
    if enrollment.status not in LIVE_STATUSES:
        raise InvalidTransition(f"This enrollment is already {enrollment.get_status_display().lower()}.")
    freed_seat = enrollment.status in SEATED_STATUSES
    _end(enrollment, status=EnrollmentStatus.WITHDRAWN, reason=reason, actor=actor)
    if freed_seat:
        _fill_free_seats(program, actor=actor)
    return enrollment


def _check_offer_open(enrollment: Enrollment, *, offer_number: int | None) -> None:
    if enrollment.status != EnrollmentStatus.OFFERED:
        raise InvalidTransition(f"There is no open seat offer: the enrollment is {enrollment.get_status_display()}.")
    if offer_number is not None and offer_number != enrollment.offer_count:
        raise InvalidTransition("This link belongs to an earlier offer.")
    if clock.now() >= enrollment.offer_expires_at:
        raise InvalidTransition("This seat offer has expired.")


@transaction.atomic
def enrollment_accept_offer(*, actor, enrollment: Enrollment, offer_number: int | None = None) -> Enrollment:
    """Take the offered seat. The seat was already counted when it was offered, so this never overfills."""
    _lock_program(enrollment.program_id)
    enrollment = _lock_enrollment(enrollment.pk)
    _check_offer_open(enrollment, offer_number=offer_number)
    enrollment.status = EnrollmentStatus.ENROLLED
    enrollment.enrolled_at = clock.now()
    enrollment.save()
    _transition_write(enrollment, actor=actor, was=EnrollmentStatus.OFFERED)
    _notify_confirmed(enrollment)
    return enrollment


@transaction.atomic
def enrollment_decline_offer(*, actor, enrollment: Enrollment, offer_number: int | None = None) -> Enrollment:
    """Turn the seat down; it goes to the next person in line."""
    program = _lock_program(enrollment.program_id)
    enrollment = _lock_enrollment(enrollment.pk)
    _check_offer_open(enrollment, offer_number=offer_number)
    _end(enrollment, status=EnrollmentStatus.DECLINED, reason="Declined the seat offer.", actor=actor)
    _fill_free_seats(program, actor=actor)
    return enrollment


def seat_offers_expire() -> int:
    """Expire every unclaimed offer past its deadline and pass each seat to the next in line.

    One transaction per program, so one busy program never holds up another. Returns how many expired.
    """
    now = clock.now()
    program_ids = (
        Enrollment.objects.filter(status=EnrollmentStatus.OFFERED, offer_expires_at__lte=now)
        .values_list("program_id", flat=True)
        .distinct()
        .order_by("program_id")
    )
    return sum(_expire_program_offers(program_id=program_id, now=now) for program_id in list(program_ids))


@transaction.atomic
def _expire_program_offers(*, program_id: int, now: dt.datetime) -> int:
    program = _lock_program(program_id)
    due = list(
        program.enrollments.select_for_update()
        .select_related("patient", "program")
        .filter(status=EnrollmentStatus.OFFERED, offer_expires_at__lte=now)
        .order_by("pk")
    )
    for enrollment in due:
        _end(enrollment, status=EnrollmentStatus.EXPIRED, reason="The seat offer was not answered in time.")
        _notify_expired(enrollment)
    _fill_free_seats(program)
    return len(due)


@transaction.atomic
def program_capacity_set(*, actor, program: GroupProgram, capacity: int) -> list[Enrollment]:
    """Change the number of seats. Raising it by k makes up to k offers to the waitlist at once.

    Lowering it below the seats already taken or offered is refused: nobody loses a promised seat.
    Returns the offers made.
    """
    program = _lock_program(program.pk)
    if capacity < 1:
        raise Unprocessable("A program needs at least one seat.", fields={"capacity": ["At least 1."]})
    taken = seats_taken(program=program)
    if capacity < taken:
        raise Unprocessable(
            f"{taken} seats are taken or offered; the capacity cannot go below that.",
            fields={"capacity": [f"At least {taken}."]},
        )
    program.capacity = capacity
    program.save(update_fields=["capacity", "updated_at"])
    return _fill_free_seats(program, actor=actor)


@transaction.atomic
def enrollment_move(*, actor, enrollment: Enrollment, to_rank: int, reason: str) -> WaitlistMove:
    """Move someone to another place in line, with a reason that is kept."""
    reason = (reason or "").strip()
    if not reason:
        raise Unprocessable("Give a reason for changing the waitlist order.", fields={"reason": ["Required."]})
    program = _lock_program(enrollment.program_id)
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


PROGRAM_FIELDS = frozenset(
    {
        "title",
        "description",
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
    }
)
PROGRAM_REACH_DAYS = 2 * 366
# What may change once meetings are booked; the schedule itself changes by rescheduling its appointments.
PROGRAM_EDITABLE_FIELDS = frozenset(
    {"title", "description", "charge_no_shows", "enrollment_opens_on", "enrollment_closes_on"}
)


def _check_fields(data: dict, allowed: frozenset[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise Unprocessable(f"Unknown or fixed fields: {', '.join(sorted(unknown))}")


@transaction.atomic
def program_create(*, actor, co_facilitators=(), override_reason: str = "", **data) -> GroupProgram:
    """Create a program and book its meetings as group appointments on the lead facilitator's calendar.

    Each meeting is conflict-checked like any appointment (facilitator and room); one conflict refuses the whole
    program, naming the meeting and the appointment in the way.
    """
    _check_fields(data, PROGRAM_FIELDS)
    service_type = data.get("service_type")
    if service_type is None or not service_type.is_group:
        raise Unprocessable("Choose a group service type.", fields={"service_type": ["Not a group service."]})
    unknown = set(data.get("outcome_questionnaires") or []) - set(INSTRUMENTS)
    if unknown:
        raise Unprocessable(
            f"Unknown questionnaires: {', '.join(sorted(unknown))}.",
            fields={"outcome_questionnaires": [f"Choose from {', '.join(INSTRUMENTS)}."]},
        )
    first = data.get("first_meeting_on")
    if first is not None and abs((first - clock.local_now().date()).days) > PROGRAM_REACH_DAYS:
        raise Unprocessable(
            "The first meeting must be within two years of today.", fields={"first_meeting_on": ["Check the year."]}
        )
    if bool(data.get("is_telehealth")) == (data.get("room") is not None):
        raise Unprocessable(
            "Choose a room, or make the program meet by video (not both).",
            fields={"room": ["A room, or video, not both."]},
        )
    program = GroupProgram(created_by=actor, **data)
    program.full_clean()
    program.save()
    program.co_facilitators.set([u for u in co_facilitators if u.pk != program.lead_facilitator_id])
    dates = series_dates(
        first_date=program.first_meeting_on,
        interval_weeks=program.interval_weeks,
        occurrence_count=program.meeting_count,
        end_date=None,
    )
    for number, day in enumerate(dates, start=1):
        try:
            appointment = appointment_book(
                actor=actor,
                therapist=program.lead_facilitator,
                patient=None,
                service_type=program.service_type,
                start=clock.local_datetime(day, program.local_start_time),
                room=program.room,
                is_telehealth=program.is_telehealth,
                override_reason=override_reason,
            )
        except ApplicationError as exc:
            exc.message = f"Meeting {number} on {day:%b} {day.day}: {exc.message}"
            raise
        ProgramMeeting.objects.create(program=program, appointment=appointment, number=number)
    return program


@transaction.atomic
def program_update(*, actor, program: GroupProgram, co_facilitators=None, **changes) -> GroupProgram:
    """Change a program's description, no-show policy or enrollment window.

    Capacity changes go through program_capacity_set, which offers new seats to the waitlist.
    """
    _check_fields(changes, PROGRAM_EDITABLE_FIELDS)
    program = _lock_program(program.pk)
    for field, value in changes.items():
        setattr(program, field, value)
    program.full_clean()
    program.save()
    if co_facilitators is not None:
        program.co_facilitators.set([u for u in co_facilitators if u.pk != program.lead_facilitator_id])
    return program


def attendance_is_charged(*, program: GroupProgram, status: str) -> bool:
    return status == AttendanceStatus.ATTENDED or (status == AttendanceStatus.NO_SHOW and program.charge_no_shows)


@transaction.atomic
def attendance_record(*, actor, meeting: ProgramMeeting, enrollment: Enrollment, status: str) -> Attendance:
    """Record whether a member came. Attended meetings, and no-shows when the program charges them, are charged
    once at the patient's sliding-scale group fee. A charged record cannot be turned into an uncharged one here:
    the ledger is corrected by billing with an adjustment."""
    if status not in AttendanceStatus.values:
        raise Unprocessable("Unknown attendance status.", fields={"status": [f"One of {AttendanceStatus.values}."]})
    meeting = ProgramMeeting.objects.select_related("program", "appointment__service_type").get(pk=meeting.pk)
    if enrollment.program_id != meeting.program_id:
        raise Unprocessable("This person is not in this meeting's program.", fields={"enrollment": ["Wrong program."]})
    appointment = meeting.appointment
    if appointment.status not in BLOCKING_STATUSES:
        raise InvalidTransition("This meeting was cancelled.")
    if clock.now() < appointment.start:
        raise InvalidTransition("Attendance is taken once the meeting has started.")
    enrollment = _lock_enrollment(enrollment.pk)
    if not Enrollment.objects.filter(members_at_q(appointment), pk=enrollment.pk).exists():
        raise Unprocessable(
            "This person was not a member at the time of this meeting.", fields={"enrollment": ["Not a member then."]}
        )
    record = Attendance.objects.select_for_update().filter(meeting=meeting, enrollment=enrollment).first()
    program = meeting.program
    was_charged = record is not None and attendance_is_charged(program=program, status=record.status)
    if was_charged and not attendance_is_charged(program=program, status=status):
        raise Conflict(
            "This meeting was already charged. Ask billing to post an adjustment, then correct the attendance."
        )
    if record is None:
        record = Attendance(meeting=meeting, enrollment=enrollment)
    record.status = status
    record.recorded_by = actor
    record.save()
    if attendance_is_charged(program=meeting.program, status=status):
        charge_for_group_attendance(patient=enrollment.patient, meeting=appointment, actor=actor)
    return record


@transaction.atomic
def attendance_record_many(*, actor, meeting: ProgramMeeting, records: list[tuple[Enrollment, str]]) -> list:
    """A whole attendance sheet at once: every row is recorded, or none is."""
    ordered = sorted(records, key=lambda pair: pair[0].pk)  # lock enrollments in primary-key order
    return [attendance_record(actor=actor, meeting=meeting, enrollment=e, status=s) for e, s in ordered]


# ---------------------------------------------------------------------------------------------------------------
# The individual-slot waitlist. The same engine as seats: a freed weekly time is held for the first matching person
# in line for the clinic's hold time, with signed accept/decline links; unanswered, it passes to the next.


def _slot_context(offer: SlotOffer) -> dict:
    slot = offer.slot
    first = _first_session_date(slot)
    return {
        "therapist_name": slot.therapist.full_name,
        "weekday": Weekday(slot.weekday).label,
        "start_time": slot.local_start_time.strftime("%H:%M"),
        "first_date": first.isoformat(),
        "first_date_label": f"{first:%A, %B} {first.day}",
        "is_telehealth": slot.is_telehealth,
        "deadline": offer.expires_at.isoformat(),
        "requests_url": absolute_url(reverse("portal:programs:slot_requests")),
    }


def _first_session_date(slot: FreedSlot) -> dt.date:
    start = max(slot.free_from, clock.local_now().date() + dt.timedelta(days=1))
    return start + dt.timedelta(days=(slot.weekday - start.weekday()) % 7)


def _matching_requests(slot: FreedSlot):
    matching = (
        SlotRequest.objects.filter(
            status=SlotRequestStatus.WAITING,
            patient__status=PatientStatus.ACTIVE,
            weekdays__contains=[slot.weekday],
            earliest_start__lte=slot.local_start_time,
            latest_start__gte=slot.local_start_time,
            service_type__duration_minutes__lte=slot.duration_minutes,
        )
        .filter(Q(therapist=slot.therapist) | Q(therapist__isnull=True))
        .exclude(offers__slot=slot)
    )
    if slot.series_id is not None:
        matching = matching.exclude(patient_id=slot.series.patient_id)
    return matching.order_by("created_at", "pk")


def _offer_slot(slot: FreedSlot) -> SlotOffer | None:
    """Hold the slot for the first matching person in line. The caller holds the slot's row lock.

    A request being offered another slot at this moment is locked by that transaction and skipped here.
    """
    if slot.status != FreedSlotStatus.OPEN or slot.offers.filter(status=SlotOfferStatus.OUTSTANDING).exists():
        return None
    request = (
        _matching_requests(slot).select_for_update(skip_locked=True, of=("self",)).select_related("patient").first()
    )
    if request is None:
        return None
    hold = dt.timedelta(hours=ClinicSettings.load().seat_offer_hold_hours)
    offer = SlotOffer.objects.create(slot=slot, request=request, expires_at=clock.now() + hold)
    request.status = SlotRequestStatus.OFFERED
    request.save(update_fields=["status", "updated_at"])
    patient_notice_enqueue(
        patient=request.patient,
        subject=offer,
        template="slot_offer",
        key=f"slot_offer:{offer.pk}",
        context={**_slot_context(offer), **offer_links(kind="slot", object_id=offer.pk, offer_number=1)},
    )
    return offer


@transaction.atomic
def slot_freed(*, series, free_from: dt.date, actor=None) -> FreedSlot:
    """A weekly series ended or was cancelled: its time is free from `free_from`. Offer it to the first matching
    person on the slot waitlist. Calling again for the same series changes nothing."""
    slot, created = FreedSlot.objects.get_or_create(
        series=series,
        defaults={
            "therapist": series.therapist,
            "weekday": series.weekday,
            "local_start_time": series.local_start_time,
            "duration_minutes": series.service_type.duration_minutes,
            "room": series.room,
            "is_telehealth": series.is_telehealth,
            "free_from": free_from,
        },
    )
    if created:
        _offer_slot(FreedSlot.objects.select_for_update(of=("self",)).select_related("series").get(pk=slot.pk))
    return slot


# How far back the hourly job looks for series that ran out; a week covers any pause of the job.
ENDED_SERIES_LOOKBACK = dt.timedelta(days=7)


def ended_series_slots_free() -> int:
    """Offer the weekly time of every series that ran its course (its last session is over) down the slot waitlist.

    Run by beat. Each series is handled once: its FreedSlot row (one per series) records that its time was
    offered, and a series whose time was already offered (cancelled early) is skipped. Returns how many were freed.
    """
    now = clock.now()
    ended = series_ended_since(since=now - ENDED_SERIES_LOOKBACK, now=now).filter(freed_slot__isnull=True)
    freed = 0
    for series in ended:
        last_day = series.last_end.astimezone(clock.clinic_tz()).date()
        slot_freed(series=series, free_from=last_day + dt.timedelta(days=1))
        freed += 1
    return freed


@transaction.atomic
def slot_request_create(
    *, actor, patient, service_type, weekdays: list[int], earliest_start: dt.time, latest_start: dt.time, therapist=None
) -> SlotRequest:
    """Join the slot waitlist. A time that is already free and unclaimed is offered at once."""
    weekdays = sorted(set(weekdays))
    if not weekdays or any(d not in Weekday.values for d in weekdays):
        raise Unprocessable("Choose at least one weekday.", fields={"weekdays": ["Choose at least one day."]})
    if earliest_start > latest_start:
        raise Unprocessable("The earliest time is after the latest.", fields={"latest_start": ["Before earliest."]})
    if service_type.is_group or not service_type.is_active:
        raise Unprocessable("Choose an individual session type.", fields={"service_type": ["Not individual."]})
    if patient.status != PatientStatus.ACTIVE:
        raise Unprocessable("Only active patients can wait for a slot.")
    live = SlotRequest.objects.select_for_update().filter(
        patient=patient, therapist=therapist, status__in=LIVE_SLOT_REQUEST_STATUSES
    )
    if live.exists():
        raise Conflict("This patient is already waiting for a slot with this therapist.")
    request = SlotRequest.objects.create(
        patient=patient,
        therapist=therapist,
        service_type=service_type,
        weekdays=weekdays,
        earliest_start=earliest_start,
        latest_start=latest_start,
        created_by=actor,
    )
    for slot in (
        FreedSlot.objects.select_for_update(of=("self",)).select_related("series").filter(status=FreedSlotStatus.OPEN)
    ):
        if _offer_slot(slot) is not None:
            request.refresh_from_db()
            if request.status == SlotRequestStatus.OFFERED:
                break
    return request


def _lock_slot_offer(offer_id: int) -> SlotOffer:
    slot_id = SlotOffer.objects.values_list("slot_id", flat=True).get(pk=offer_id)
    FreedSlot.objects.select_for_update().get(pk=slot_id)
    return (
        SlotOffer.objects.select_for_update(of=("self",))
        .select_related("slot", "slot__series", "slot__therapist", "request", "request__patient")
        .get(pk=offer_id)
    )


def _check_slot_offer_open(offer: SlotOffer) -> None:
    if offer.status != SlotOfferStatus.OUTSTANDING:
        raise InvalidTransition(f"This slot offer is {offer.get_status_display().lower()}.")
    if clock.now() >= offer.expires_at:
        raise InvalidTransition("This slot offer has expired.")


@transaction.atomic
def slot_offer_accept(*, actor, offer: SlotOffer, cap_override_reason: str = "") -> SlotOffer:
    """Take the slot: a weekly series is booked from the first free date, conflict-checked like any booking and
    held to the therapist's reduced-fee cap (only staff may override it, with a reason)."""
    offer = _lock_slot_offer(offer.pk)
    _check_slot_offer_open(offer)
    slot, request = offer.slot, offer.request
    booked = series_book(
        actor=actor,
        therapist=slot.therapist,
        patient=request.patient,
        service_type=request.service_type,
        first_date=_first_session_date(slot),
        local_start_time=slot.local_start_time,
        room=slot.room,
        is_telehealth=slot.is_telehealth,
        cap_override_reason=cap_override_reason,
    )
    now = clock.now()
    offer.status, offer.answered_at, offer.series = SlotOfferStatus.ACCEPTED, now, booked.series
    offer.save()
    request.status, request.ended_at = SlotRequestStatus.BOOKED, now
    request.save()
    slot.status = FreedSlotStatus.TAKEN
    slot.save()
    return offer


@transaction.atomic
def slot_offer_decline(*, actor, offer: SlotOffer) -> SlotOffer:
    """Turn this time down and keep waiting for another; the time goes to the next matching person."""
    offer = _lock_slot_offer(offer.pk)
    _check_slot_offer_open(offer)
    offer.status, offer.answered_at = SlotOfferStatus.DECLINED, clock.now()
    offer.save()
    offer.request.status = SlotRequestStatus.WAITING
    offer.request.save()
    _offer_slot(offer.slot)
    return offer


@transaction.atomic
def slot_request_cancel(*, actor, request: SlotRequest) -> SlotRequest:
    """Stop waiting. An outstanding offer is given back and passes on."""
    outstanding = request.offers.filter(status=SlotOfferStatus.OUTSTANDING).first()
    if outstanding is not None:
        offer = _lock_slot_offer(outstanding.pk)
        offer.status, offer.answered_at = SlotOfferStatus.DECLINED, clock.now()
        offer.save()
    request = SlotRequest.objects.select_for_update().get(pk=request.pk)
    if request.status not in LIVE_SLOT_REQUEST_STATUSES:
        raise InvalidTransition(f"This request is already {request.get_status_display().lower()}.")
    request.status, request.ended_at = SlotRequestStatus.CANCELLED, clock.now()
    request.save()
    if outstanding is not None:
        _offer_slot(offer.slot)
    return request


def slot_offers_expire() -> int:
    """Expire unanswered slot offers and pass each slot on. One transaction per offer."""
    due = SlotOffer.objects.filter(status=SlotOfferStatus.OUTSTANDING, expires_at__lte=clock.now()).order_by("pk")
    return sum(_slot_offer_expire(offer_id=pk) for pk in list(due.values_list("pk", flat=True)))


@transaction.atomic
def _slot_offer_expire(*, offer_id: int) -> int:
    offer = _lock_slot_offer(offer_id)
    if offer.status != SlotOfferStatus.OUTSTANDING or clock.now() < offer.expires_at:
        return 0
    offer.status = SlotOfferStatus.EXPIRED
    offer.save()
    request = offer.request
    request.status, request.ended_at = SlotRequestStatus.EXPIRED, clock.now()
    request.save()
    patient_notice_enqueue(
        patient=request.patient,
        subject=offer,
        template="slot_offer_expired",
        key=f"slot_offer:{offer.pk}:expired",
        context={"requests_url": absolute_url(reverse("portal:programs:slot_requests"))},
        sms=False,
    )
    _offer_slot(offer.slot)
    return 1


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
    program = _lock_program(program.pk)
    now = clock.now()
    live = list(
        program.enrollments.select_for_update()
        .select_related("patient", "program")
        .filter(status__in=LIVE_STATUSES)
        .order_by("pk")
    )
    counts = {"completed": 0, "closed": 0}
    for enrollment in live:
        if enrollment.status == EnrollmentStatus.ENROLLED:
            enrollment.status, enrollment.ended_at = EnrollmentStatus.COMPLETED, now
            enrollment.save()
            _transition_write(enrollment, actor=None, was=EnrollmentStatus.ENROLLED, reason="The program ended.")
            counts["completed"] += 1
            continue
        ended_as = (
            EnrollmentStatus.EXPIRED if enrollment.status == EnrollmentStatus.OFFERED else EnrollmentStatus.WITHDRAWN
        )
        _end(enrollment, status=ended_as, reason="The program ended before a seat came free.")
        patient_notice_enqueue(
            patient=enrollment.patient,
            subject=enrollment,
            template="waitlist_closed",
            key=f"enrollment:{enrollment.pk}:waitlist_closed",
            context={
                "program_title": program.title,
                "programs_url": absolute_url(reverse("portal:programs:list")),
            },
            sms=False,
        )
        counts["closed"] += 1
    return counts


# Members are asked for the program's questionnaires this long before its first and its last meeting. Baseline answers
# close when the first meeting ends; follow-up answers stay open for a week after the last.
OUTCOME_QUESTIONNAIRE_LEAD = dt.timedelta(hours=48)
FOLLOW_UP_ANSWER_DAYS = dt.timedelta(days=7)


def meeting_questionnaires_assign() -> int:
    """Ask each current member for the program's questionnaires before its first and its last meeting.

    Run by beat: a first or last meeting starting within OUTCOME_QUESTIONNAIRE_LEAD gets, for every enrolled member
    with a portal account, one assignment per questionnaire (once per member, meeting and questionnaire, so someone
    who enrolls late is asked on the next run) and one `questionnaire_due` email. Withdrawn members and people
    still waiting are not asked. One transaction per meeting. Returns how many assignments were made.
    """
    assigned = 0
    for meeting in selectors.outcome_meetings_due(now=clock.now(), lead=OUTCOME_QUESTIONNAIRE_LEAD):
        assigned += _meeting_questionnaires_assign(meeting)
    return assigned


@transaction.atomic
def _meeting_questionnaires_assign(meeting: ProgramMeeting) -> int:
    program, appointment = meeting.program, meeting.appointment
    is_last = meeting.number == program.meeting_count
    expires_at = appointment.end + FOLLOW_UP_ANSWER_DAYS if is_last else appointment.end
    assigned = 0
    for enrollment in program.members:
        patient = enrollment.patient
        created = [
            code
            for code in program.outcome_questionnaires
            if questionnaire_assign(
                patient=patient,
                instrument=code,
                due_at=appointment.start,
                source_meeting=appointment,
                expires_at=expires_at,
            )[1]
        ]
        questionnaires_due_notify(
            patient=patient,
            session=appointment,
            count=len(created),
            dedupe_key=f"appointment:{appointment.pk}:member:{enrollment.pk}:questionnaire_due",
        )
        assigned += len(created)
    return assigned


def meeting_reminders_queue() -> int:
    """Remind each member of an upcoming meeting at the clinic's lead times (email, and text for those who agreed).

    Run by beat every few minutes: a meeting entering a lead window gets its reminders queued once per member,
    channel and start time (a rescheduled meeting is reminded again at its new time). Members who withdrew are
    not reminded. Returns how many were queued.
    """
    settings_row = ClinicSettings.load()
    now = clock.now()
    leads = {
        Channel.EMAIL: dt.timedelta(hours=settings_row.reminder_email_lead_hours),
        Channel.SMS: dt.timedelta(hours=settings_row.reminder_sms_lead_hours),
    }
    meetings = (
        ProgramMeeting.objects.filter(
            appointment__start__gt=now,
            appointment__start__lte=now + max(leads.values()),
            appointment__status__in=BLOCKING_STATUSES,
        )
        .select_related("program", "appointment__room")
        .prefetch_related(
            Prefetch(
                "program__enrollments",
                queryset=Enrollment.objects.filter(status=EnrollmentStatus.ENROLLED).select_related("patient"),
                to_attr="members",
            )
        )
    )
    queued = 0
    for meeting in meetings:
        appointment = meeting.appointment
        context = {
            "program_title": meeting.program.title,
            "meeting_number": meeting.number,
            "start": appointment.start.isoformat(),
            "is_telehealth": appointment.is_telehealth,
            "telehealth_url": appointment.telehealth_url,
            "room_name": appointment.room.name if appointment.room else "",
            "program_url": _program_url(meeting.program),
        }
        for enrollment in meeting.program.members:
            patient = enrollment.patient
            wanted = {
                Channel.EMAIL: patient.reminder_email and bool(patient.email),
                Channel.SMS: patient.reminder_sms and patient.can_receive_sms,
            }
            for channel, lead in leads.items():
                if not wanted[channel] or appointment.start - lead > now:
                    continue
                message = message_enqueue(
                    channel=channel,
                    to_address=patient.email if channel == Channel.EMAIL else patient.phone,
                    # Not "reminder_*": replying C to confirm is for individual sessions.
                    purpose=f"group_reminder_{channel}",
                    template="group_meeting_reminder",
                    subject=appointment,
                    send_at=now,
                    dedupe_key=f"appointment:{appointment.pk}:member:{enrollment.pk}:group_reminder_{channel}:"
                    f"{appointment.start.isoformat()}",
                    patient=patient,
                    recipient_user=patient.user,
                    context={"patient_first_name": patient.first_name, **context},
                )
                queued += message is not None
    return queued
