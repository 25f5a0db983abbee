"""Every write to the schedule: booking, series, rescheduling, cancelling and the session's status flow.

The database is the last word on double booking (exclusion constraints on therapist, room and patient); these
services check first so people get a clear answer, and turn a lost race into the same clear Conflict.
"""

import datetime as dt
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from apps.accounts.disciplines import Discipline, discipline_of
from apps.accounts.roles import Role
from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.dates import DateReach
from apps.core.errors import ApplicationError, Conflict, InvalidTransition, PermissionDenied, Unprocessable
from apps.core.models import ClinicSettings
from apps.core.prepared import statements_prepared
from apps.core.time_zones import zone_known, zone_short_label
from apps.core.transitions import actor_or_none, transitions_record
from apps.core.when import clock_text, day_text
from apps.patients.extensions import treating_changed_notify
from apps.patients.models import Patient

from . import extensions
from .availability import Slot, slots_check
from .models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    AppointmentTransition,
    CalendarFeed,
    Location,
    Room,
    SeriesStatus,
    ServiceType,
    TimeOff,
    WorkingHours,
)
from .reminders import appointments_booked_notice, appointments_moved_notice
from .selectors import booking_office, calendar_feed_token_hash, therapist_location

if TYPE_CHECKING:
    from apps.billing.pricing import Price

INTAKE_CPT = "90791"  # booking the intake assessment issues the patient's Good Faith Estimate for it (billing)

CONSTRAINT_SUBJECT = {
    "appointment_no_therapist_overlap": "therapist",
    "appointment_no_room_overlap": "room",
    "appointment_no_patient_overlap": "patient",
}
DISCIPLINE_CONSTRAINT = "appointment_discipline_matches_provider"
PATIENT_IN_CARE_CONSTRAINT = "appointment_patient_in_care"
THERAPIST_IN_PRACTICE_CONSTRAINT = "appointment_therapist_in_practice"
LOCATION_OPEN_CONSTRAINT = "appointment_location_open"
ROOM_LOCATION_CONSTRAINTS = {"appointment_room_at_its_location", "series_room_at_its_location"}
# What Postgres answers a transaction it aborts to break a deadlock.
DEADLOCK_DETECTED = "40P01"
# How often a booking Postgres aborts to break a deadlock is written again before it is refused.
DEADLOCK_REWRITES = 3
OVERRIDE_ROLES = (Role.ADMIN, Role.FRONT_DESK, Role.THERAPIST)
# Who may put a session in the past, to record one that took place: the staff who keep the schedule, never a patient.
RECORD_PAST_ROLES = (Role.ADMIN, Role.FRONT_DESK, Role.THERAPIST)
STAFF_CANCEL_ROLES = (Role.ADMIN, Role.FRONT_DESK, Role.THERAPIST)
MAX_SERIES_DATES = 104  # two years of weekly sessions
# A session, a series' dates or a calendar day further than this from today is a mistyped year.
BOOKING_REACH = DateReach(years_back=10, years_ahead=10)
KEEP = object()  # "leave this as it is" for optional reschedule arguments where None has a meaning


# ---------------------------------------------------------------------------------------------------------------
# Shared checks


@dataclass
class Booking:
    """What a booking request asks for, validated; the same shape for a single session and a series."""

    therapist: object
    patient: object
    service_type: ServiceType
    room: Room | None
    is_telehealth: bool
    location: Location

    def spans(self, starts: list[dt.datetime]) -> list[tuple[dt.datetime, dt.datetime]]:
        """Each start with its end a session's length later in real time. A wall-clock time the location's clock
        skips (2:30 AM the night clocks go forward) is refused: it is no time at all."""
        length = dt.timedelta(minutes=self.service_type.duration_minutes)
        for start in starts:
            if clock.wall_time_missing(start):
                when = f"{clock_text(start)} on {start:%A}, {day_text(start)}"
                raise Unprocessable(
                    f"{when} does not exist at {self.location.name}: the clocks go forward an hour that night. "
                    "Choose another time.",
                    fields={"start": ["That time is skipped when the clocks go forward."]},
                )
        return [clock.span_of(start, length) for start in starts]


def _booking_location(*, therapist, room: Room | None, location: Location | None, start: dt.datetime) -> Location:
    """Where the session is: its room's location; else the one asked for; else (telehealth, or no room yet) the
    office the therapist works at at `start`, whose zone times it (a naive `start` is a wall-clock time, as a
    series is booked: the office is the one whose clock reads it so)."""
    if room is not None:
        if location is not None and room.location_id != location.pk:
            raise Unprocessable(
                f"{room.name} is a room at {room.location.name}, not at {location.name}.",
                fields={"room": [f"Choose a room at {location.name}."]},
            )
        return room.location
    if location is None:
        return booking_office(therapist=therapist, room=None, start=start)
    if not location.is_active:
        raise _location_closed()
    return location


def _booking_validate(*, therapist, patient, service_type, room, is_telehealth, start, location=None) -> Booking:
    if not therapist.has_role(Role.THERAPIST) or not therapist.is_active:
        raise _not_in_practice()
    if not service_type.is_active:
        raise Unprocessable(
            "This service type is no longer offered.", fields={"service_type": ["Inactive service type."]}
        )
    _discipline_check(therapist=therapist, service_type=service_type)
    if service_type.is_group and patient is not None:
        raise Unprocessable(
            "A group meeting has no single patient; members join through the program.",
            fields={"patient": ["Leave empty for a group meeting."]},
        )
    if not service_type.is_group and patient is None:
        raise Unprocessable("Choose the patient.", fields={"patient": ["Required for an individual session."]})
    if patient is not None and not patient.is_in_care:
        raise _discharged()
    if is_telehealth and room is not None:
        raise Unprocessable("A telehealth session has no room.", fields={"room": ["Leave empty for telehealth."]})
    if room is not None and not room.is_active:
        raise Unprocessable("This room is not in use.", fields={"room": ["Inactive room."]})
    location = _booking_location(therapist=therapist, room=room, location=location, start=start)
    return Booking(therapist, patient, service_type, room, is_telehealth, location)


def _location_closed() -> Unprocessable:
    return Unprocessable("This location is closed.", fields={"location": ["Closed location."]})


def _not_in_practice() -> Unprocessable:
    return Unprocessable("Choose an active therapist.", fields={"therapist": ["Not an active therapist."]})


def _discharged() -> Unprocessable:
    return Unprocessable("This patient has been discharged.", fields={"patient": ["Discharged patient."]})


def _discipline_check(*, therapist, service_type: ServiceType) -> None:
    """A service is given by a provider of its discipline (the database holds it too:
    `appointment_discipline_matches_provider`)."""
    if discipline_of(therapist) != service_type.discipline:
        raise Unprocessable(
            _discipline_mismatch_message(therapist, service_type),
            fields={"service_type": [f"Needs a {service_type.get_discipline_display().lower()} provider."]},
        )


def _discipline_mismatch_message(therapist, service_type: ServiceType) -> str:
    provider = Discipline(discipline_of(therapist)).label.lower()
    return (
        f"{service_type.name} is a {service_type.get_discipline_display().lower()} service; "
        f"{therapist.full_name or therapist.email} is a {provider} provider."
    )


def _require_aware(value: dt.datetime, field_name: str) -> None:
    """Aware, and within ten years of today: further out is a typo (and date arithmetic could overflow)."""
    if timezone.is_naive(value):
        raise Unprocessable("Times need a time zone.", fields={field_name: ["Give a time zone offset."]})
    BOOKING_REACH.require(value.date(), field=field_name)


def _override_check(*, actor, slots: list[Slot], override_reason: str) -> None:
    """Outside working hours or in time off needs staff to say why; the reason is stored on the appointment."""
    problems = [s.unavailable for s in slots if s.unavailable]
    if not problems:
        return
    if not override_reason.strip():
        raise Unprocessable(
            f"{problems[0]} Give an override reason to book anyway.",
            fields={"override_reason": ["Required to book outside working hours or in time off."]},
            extra={"unavailable": problems},
        )
    if not actor.has_role(*OVERRIDE_ROLES):
        raise PermissionDenied("Only clinic staff may book outside working hours.")


def _past_check(*, actor, slots: list[Slot], allow_past: bool, moving: bool = False) -> None:
    """A session already over is booked, or moved to, only on purpose: staff confirm (allow_past) that they are
    recording a session that took place; one under way is booked as usual. Never by a slip (a wrong year, last
    week's date), since a session in the past is at once an overdue unsigned note for its therapist, and cancelling
    it then counts as late and posts the fee. A patient never books a time begun; the online rules keep them to
    times ahead, and this is the last word for any other path."""
    begun = [s for s in slots if s.start < clock.now()]
    if not begun:
        return
    if actor is None or not actor.has_role(*RECORD_PAST_ROLES):
        raise Unprocessable("That time has passed. Choose a time still to come.", fields={"start": ["In the past."]})
    # A session under way is booked as any other: the walk-in the desk enters at 2:05 for 2:00.
    past = [s for s in begun if s.in_past]
    if not past or allow_past:
        return
    first = past[0].local_start
    when = f"{clock_text(first)} on {first:%A}, {day_text(first)}"
    if len(slots) > 1:
        noun = "date is" if len(past) == 1 else "dates are"
        message = (
            f"{len(past)} of the {len(slots)} {noun} in the past, from {when}. "
            f"To record sessions that took place, confirm {'moving' if moving else 'booking'} them anyway."
        )
    elif moving:
        message = f"{when} is in the past. To record when the session took place, confirm moving it anyway."
    else:
        message = (
            f"This session is in the past: {when}. To record a session that took place, confirm booking it anyway."
        )
    raise Unprocessable(
        message,
        fields={"allow_past": ["Confirm to put a session in the past."]},
        extra={"past": [s.local_start.isoformat() for s in past]},
    )


def _conflict(collisions) -> Conflict:
    first = collisions[0]
    return Conflict(
        first.describe(),
        extra={"conflicting_appointment": first.as_dict(), "conflicts": [c.as_dict() for c in collisions]},
    )


def _violated_constraint(exc: IntegrityError) -> str | None:
    return getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)


def _collision_after_race(
    exc: IntegrityError, appointment: Appointment, exclude_ids: frozenset[int]
) -> Conflict | Unprocessable:
    """Another transaction changed what our checks read between them and our write: it took the slot (named), or
    changed the provider's discipline, the patient's care, the therapist's practice or the office."""
    constraint = _violated_constraint(exc)
    if constraint in ROOM_LOCATION_CONSTRAINTS:
        return Conflict("That room is not at the session's location.")
    if constraint == DISCIPLINE_CONSTRAINT:
        # The provider's discipline changed between our check and our write.
        return Conflict(_discipline_mismatch_message(appointment.therapist, appointment.service_type))
    if constraint == PATIENT_IN_CARE_CONSTRAINT:
        # The patient was discharged between our check and our write.
        return _discharged()
    if constraint == THERAPIST_IN_PRACTICE_CONSTRAINT:
        # The therapist was deactivated, or lost the role, between our check and our write.
        return _not_in_practice()
    if constraint == LOCATION_OPEN_CONSTRAINT:
        # The office was closed between our check and our write.
        return _location_closed()
    if constraint not in CONSTRAINT_SUBJECT:
        raise exc
    [slot] = slots_check(
        therapist=appointment.therapist,
        patient_id=appointment.patient_id,
        room_id=appointment.room_id,
        spans=[(appointment.start, appointment.end)],
        location=appointment.location,
        exclude_ids=exclude_ids,
    )
    if not slot.collisions:
        return Conflict(f"The {CONSTRAINT_SUBJECT[constraint]} is already booked at that time.")
    return _conflict(slot.collisions)


def _deadlocked(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_DETECTED


def _save_guarded(appointments: list[Appointment]) -> None:
    """Write the rows in one savepoint so a constraint violation leaves the outer transaction usable.

    Two bookings (or moves) writing clashing rows at the same moment can each wait on the other's row while checking
    an exclusion constraint, and Postgres then aborts one of them as a deadlock. That one's savepoint is rolled back
    (its rows, and the other's wait on them, go with it) and its rows are written once more after a short pause: the
    rewrite waits for the other booking and meets its row as a plain violation (a 409 naming it), or finds the time
    free. Written again at once, it could meet the other's blocked row half-written and deadlock anew."""
    inserted = [row for row in appointments if row._state.adding]
    for rewrite in range(DEADLOCK_REWRITES + 1):
        try:
            with transaction.atomic():
                for appointment in appointments:
                    appointment.save()
            return
        except IntegrityError as exc:
            raise _collision_after_race(exc, appointment, frozenset(a.pk for a in appointments if a.pk)) from exc
        except OperationalError as exc:
            if not _deadlocked(exc):
                raise
            if rewrite == DEADLOCK_REWRITES:
                raise Conflict("Another change to the same sessions is being saved right now. Try again.") from exc
            for row in inserted:  # the rolled-back inserts are written anew; moved rows are updated again
                row.pk = None
                row._state.adding = True
            time.sleep(secrets.SystemRandom().uniform(0.02, 0.1) * (rewrite + 1))


def save_held_by(instance, constraint: str, *, refusal: Callable[[], Exception]) -> None:
    """Save `instance` in a savepoint; when the database refuses it by `constraint` (a lost race past the caller's
    own check), raise what `refusal` gives instead, leaving the outer transaction usable."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        if _violated_constraint(exc) != constraint:
            raise
        raise refusal() from exc


def telehealth_url_new() -> str:
    """A new video room link: its token is the only key to the room, so a link is never reused or derived."""
    return settings.CLINIC_TELEHEALTH_URL_TEMPLATE.format(token=secrets.token_urlsafe(16))


def _new_appointment(booking: Booking, slot: Slot, *, actor, series=None, override_reason="") -> Appointment:
    return Appointment(
        therapist=booking.therapist,
        patient=booking.patient,
        service_type=booking.service_type,
        location=booking.location,
        room=booking.room,
        is_telehealth=booking.is_telehealth,
        telehealth_url=telehealth_url_new() if booking.is_telehealth else "",
        start=slot.start,
        end=slot.end,
        series=series,
        override_reason=override_reason.strip() if slot.unavailable else "",
        created_by=actor,
    )


def _transition_row(
    appointment: Appointment, *, actor, from_status: str, reason: str = "", ends_series: bool = False
) -> AppointmentTransition:
    """The row a status change (or a move) writes; the reactions to it (reminders, charges, the slot waitlist) run
    when the caller records it (apps.core.transitions)."""
    return AppointmentTransition(
        appointment=appointment,
        actor=actor_or_none(actor),
        from_status=from_status,
        to_status=appointment.status,
        reason=reason,
        ends_series=ends_series,
    )


def treating_changed_on_booked(transition: AppointmentTransition, *, clinic=None) -> None:
    """A session booked, moved or handed to a therapist makes that therapist one who treats its patient: the apps
    that care (patients.extensions.treating_changed) are told once the booking commits, so the booking pays nothing
    for them."""
    treating_changed_on_booked_many([transition], clinic=clinic)


def treating_changed_on_booked_many(transitions: list[AppointmentTransition], *, clinic=None) -> None:
    """Sessions with the patient's own primary therapist give the patient no new treating therapist (they treat the
    patient already, and were told what a newcomer is told when they became the primary one), so nothing is run for
    those: a weekly series booked with the patient's own therapist, the usual case, pays for no reaction."""
    sessions = [t.appointment for t in transitions if t.appointment.patient_id is not None]
    primary = {s.patient_id: s.patient.primary_therapist_id for s in sessions if Appointment.patient.is_cached(s)}
    if unread := {s.patient_id for s in sessions} - primary.keys():
        primary.update(Patient.objects.filter(pk__in=unread).values_list("pk", "primary_therapist_id"))
    treating_changed_notify(patient_ids={s.patient_id for s in sessions if primary[s.patient_id] != s.therapist_id})


# What the checks of a change of a session's status and the reactions to the change read with the session.
LOCK_RELATED = ("therapist", "patient", "room", "service_type", "series", "location")


def appointment_lock(*, appointment_id: int) -> Appointment:
    """The session's row locked for a change of its status, with what the checks and the reactions to the change
    read (LOCK_RELATED). A caller that goes on to complete it hands this row to `appointment_complete` (`locked`),
    so it is not read twice. Prepared on the connection: Postgres takes longer to plan its seven tables' join than
    to run it."""
    with statements_prepared():
        return Appointment.objects.select_for_update(of=("self",)).select_related(*LOCK_RELATED).get(pk=appointment_id)


def _lock(appointment: Appointment) -> Appointment:
    return appointment_lock(appointment_id=appointment.pk)


# ---------------------------------------------------------------------------------------------------------------
# One session


@transaction.atomic
def appointment_book(
    *,
    actor,
    therapist,
    patient,
    service_type: ServiceType,
    start: dt.datetime,
    room: Room | None = None,
    is_telehealth: bool = False,
    location: Location | None = None,
    override_reason: str = "",
    cap_override_reason: str = "",
    allow_past: bool = False,
) -> Appointment:
    """Book one session (patient=None for a group meeting).

    A start that has passed is refused unless staff confirm it (allow_past) to record a session that took place.
    Refuses a slot that overlaps an active appointment of the same therapist, room or patient (Conflict naming it),
    and a slot outside working hours or in time off unless staff give an override reason. Reminders are queued in
    the same transaction, with the patient's booking confirmation. A new reduced-fee patient past the therapist's
    cap needs a cap override reason. The booking checks apps register (extensions.booking_checks, e.g. a missing
    medical clearance) may refuse it (Conflict) before anything is written.
    """
    _require_aware(start, "start")
    booking = _booking_validate(
        therapist=therapist,
        patient=patient,
        service_type=service_type,
        room=room,
        is_telehealth=is_telehealth,
        location=location,
        start=start,
    )
    [slot] = slots_check(
        therapist=therapist,
        patient_id=patient.pk if patient else None,
        room_id=room.pk if room else None,
        spans=booking.spans([start]),
        location=booking.location,
    )
    _past_check(actor=actor, slots=[slot], allow_past=allow_past)
    if slot.collisions:
        raise _conflict(slot.collisions)
    _override_check(actor=actor, slots=[slot], override_reason=override_reason)
    extensions.booking_checks.enforce(
        patient=patient, therapist=therapist, service_type=service_type, starts=[start], series=False
    )
    if patient is not None:
        extensions.reduced_fee_cap_enforce(
            actor=actor, therapist=therapist, patient=patient, override_reason=cap_override_reason
        )
    appointment = _new_appointment(booking, slot, actor=actor, override_reason=override_reason)
    _save_guarded([appointment])
    transitions_record([_transition_row(appointment, actor=actor, from_status="")])
    appointments_booked_notice(appointments=[appointment], subject=appointment)
    return appointment


# ---------------------------------------------------------------------------------------------------------------
# Weekly series


def _series_override(slots: list[Slot], override_reason: str) -> str:
    """The override a series keeps for its extensions: the reason given when its weekly time is outside working hours
    (or in time off) on some date, else none."""
    return override_reason.strip() if any(s.unavailable for s in slots) else ""


def series_horizon(today: dt.date | None = None) -> dt.date:
    """How far ahead an open-ended series is kept booked."""
    return (today or clock.local_now().date()) + dt.timedelta(weeks=settings.CLINIC_SERIES_HORIZON_WEEKS)


def series_dates(
    *,
    first_date: dt.date,
    interval_weeks: int,
    occurrence_count: int | None,
    end_date: dt.date | None,
    after: dt.date | None = None,
    through: dt.date | None = None,
) -> list[dt.date]:
    """The series' dates (every `interval_weeks` from `first_date`), optionally only those in (after, through]."""
    if occurrence_count is None and end_date is None and through is None:
        through = series_horizon()
    step = dt.timedelta(weeks=interval_weeks)
    dates: list[dt.date] = []
    day, index = first_date, 0
    while True:
        if occurrence_count is not None and index >= occurrence_count:
            break
        if (end_date is not None and day > end_date) or (through is not None and day > through):
            break
        if after is None or day > after:
            dates.append(day)
        day, index = day + step, index + 1
    return dates


@dataclass
class SeriesPlan:
    booking: Booking
    local_start_time: dt.time
    first_date: dt.date
    interval_weeks: int
    occurrence_count: int | None
    end_date: dt.date | None
    slots: list[Slot] = field(default_factory=list)

    @property
    def blocked(self) -> list[Slot]:
        return [s for s in self.slots if not s.is_free]

    @property
    def past(self) -> list[Slot]:
        """Dates already over: booking them records sessions that took place, so it needs confirming."""
        return [s for s in self.slots if s.in_past]

    def as_dict(self) -> dict:
        return {
            "occurrences": [s.as_dict() for s in self.slots],
            "free": sum(1 for s in self.slots if s.is_free),
            "blocked": len(self.blocked),
            "past": len(self.past),
        }


def series_preview(
    *,
    therapist,
    patient,
    service_type: ServiceType,
    first_date: dt.date,
    local_start_time: dt.time,
    interval_weeks: int = 1,
    occurrence_count: int | None = None,
    end_date: dt.date | None = None,
    room: Room | None = None,
    is_telehealth: bool = False,
    location: Location | None = None,
) -> SeriesPlan:
    """Every date the series would take, each with what it collides with and any availability problem.

    Writes nothing; the same plan is what series_book commits.
    """
    BOOKING_REACH.require(first_date, field="first_date")
    if end_date is not None:
        BOOKING_REACH.require(end_date, field="end_date")
    if not 1 <= interval_weeks <= 4:
        raise Unprocessable("Repeat every 1 to 4 weeks.", fields={"interval_weeks": ["Between 1 and 4."]})
    if occurrence_count is not None and end_date is not None:
        raise Unprocessable(
            "End the series after a number of sessions or on a date, not both.",
            fields={"end_date": ["Give either a count or an end date."]},
        )
    if occurrence_count is not None and not 1 <= occurrence_count <= MAX_SERIES_DATES:
        raise Unprocessable(
            f"Book between 1 and {MAX_SERIES_DATES} sessions.",
            fields={"occurrence_count": [f"Between 1 and {MAX_SERIES_DATES}."]},
        )
    if service_type.is_group:
        raise Unprocessable(
            "Group meetings are scheduled by their program.", fields={"service_type": ["Choose an individual service."]}
        )
    if end_date is not None and end_date < first_date:
        raise Unprocessable("The end date is before the first date.", fields={"end_date": ["Before the first date."]})
    booking = _booking_validate(
        therapist=therapist,
        patient=patient,
        service_type=service_type,
        room=room,
        is_telehealth=is_telehealth,
        location=location,
        start=dt.datetime.combine(first_date, local_start_time),
    )
    dates = series_dates(
        first_date=first_date, interval_weeks=interval_weeks, occurrence_count=occurrence_count, end_date=end_date
    )
    if len(dates) > MAX_SERIES_DATES:
        raise Unprocessable(
            f"That is more than {MAX_SERIES_DATES} sessions; choose an earlier end date.",
            fields={"end_date": [f"At most {MAX_SERIES_DATES} sessions."]},
        )
    plan = SeriesPlan(booking, local_start_time, first_date, interval_weeks, occurrence_count, end_date)
    plan.slots = slots_check(
        therapist=therapist,
        patient_id=patient.pk if patient else None,
        room_id=room.pk if room else None,
        # Wall-clock time in the location's zone: 15:00 stays 15:00 there across its DST changes.
        spans=booking.spans([clock.local_datetime(d, local_start_time, booking.location.zone) for d in dates]),
        location=booking.location,
    )
    return plan


def _book_slots(
    series: AppointmentSeries,
    booking: Booking,
    slots: list[Slot],
    *,
    actor,
    override_reason: str,
    skip: bool,
    clinic: ClinicSettings | None = None,
) -> tuple[list[Appointment], list[Slot]]:
    """Book the usable slots with one INSERT in one savepoint. When the database refuses it (a concurrent booking
    took a slot since the check), book them again one by one, each in its own savepoint, so the lost slot is
    skipped or aborts the lot, as `skip` says. The booked sessions' transitions are written with one INSERT and
    their reactions run together, handed the clinic settings row when the caller read it."""
    usable, skipped = [], []
    for slot in slots:
        if slot.collisions or (slot.unavailable and not override_reason.strip()):
            skipped.append(slot)
        else:
            usable.append(slot)
    rows = [
        _new_appointment(booking, slot, actor=actor, series=series, override_reason=override_reason) for slot in usable
    ]
    try:
        with transaction.atomic():
            booked = Appointment.objects.bulk_create(rows)
    except (IntegrityError, OperationalError) as exc:
        if isinstance(exc, OperationalError) and not _deadlocked(exc):
            raise
        booked, lost = _book_one_by_one(list(zip(usable, rows, strict=True)), skip=skip)
        skipped = sorted(skipped + lost, key=lambda s: s.start)
    transitions_record([_transition_row(a, actor=actor, from_status="") for a in booked], clinic=clinic)
    return booked, skipped


def _book_one_by_one(pairs: list[tuple[Slot, Appointment]], *, skip: bool) -> tuple[list[Appointment], list[Slot]]:
    """Each row in its own savepoint: the booked rows, and the slots lost to a concurrent booking (when `skip`)."""
    booked, lost = [], []
    for slot, row in pairs:
        try:
            _save_guarded([row])
        except Conflict:
            if not skip:
                raise
            lost.append(slot)
            continue
        booked.append(row)
    return booked, lost


@dataclass
class SeriesBooked:
    series: AppointmentSeries
    booked: list[Appointment]
    skipped: list[Slot]


@transaction.atomic
def series_book(
    *,
    actor,
    therapist,
    patient,
    service_type: ServiceType,
    first_date: dt.date,
    local_start_time: dt.time,
    interval_weeks: int = 1,
    occurrence_count: int | None = None,
    end_date: dt.date | None = None,
    room: Room | None = None,
    is_telehealth: bool = False,
    location: Location | None = None,
    skip_conflicts: bool = False,
    override_reason: str = "",
    cap_override_reason: str = "",
    allow_past: bool = False,
) -> SeriesBooked:
    """Book a weekly (or every-n-weeks) series at a local wall-clock time, which stays put across DST changes.

    Dates that have passed are refused unless staff confirm them (allow_past), to record sessions that took place.
    With any blocked date the whole request is refused (Conflict listing them) unless skip_conflicts, which books
    the free dates and reports the skipped ones. Open-ended series are booked up to the rolling horizon. A new
    reduced-fee patient past the therapist's cap needs a cap override reason. The patient gets one confirmation
    listing the booked dates.
    """
    # Read once and handed to everything below that needs it: the booking checks, the reactions to the bookings
    # (reminders, the intake packet, the estimate) and the confirmation.
    clinic = ClinicSettings.load()
    plan = series_preview(
        therapist=therapist,
        patient=patient,
        service_type=service_type,
        first_date=first_date,
        local_start_time=local_start_time,
        interval_weeks=interval_weeks,
        occurrence_count=occurrence_count,
        end_date=end_date,
        room=room,
        is_telehealth=is_telehealth,
        location=location,
    )
    if not plan.slots:
        raise Unprocessable("The series has no dates.", fields={"end_date": ["No dates before the end date."]})
    _past_check(actor=actor, slots=plan.slots, allow_past=allow_past)
    collided = [s for s in plan.slots if s.collisions]
    if collided and not skip_conflicts:
        collisions = [c for s in collided for c in s.collisions]
        conflict = _conflict(collisions)
        conflict.message = f"{len(collided)} of {len(plan.slots)} dates collide. {conflict.message}"
        conflict.extra["dates"] = [s.as_dict() for s in collided]
        raise conflict
    if not skip_conflicts or override_reason.strip():
        _override_check(actor=actor, slots=plan.slots, override_reason=override_reason)
    extensions.booking_checks.enforce(
        patient=patient,
        therapist=therapist,
        service_type=service_type,
        starts=[s.start for s in plan.slots if not s.collisions],
        series=True,
        clinic=clinic,
    )
    cap_override = extensions.reduced_fee_cap_enforce(
        actor=actor, therapist=therapist, patient=patient, override_reason=cap_override_reason
    )
    series = AppointmentSeries.objects.create(
        therapist=therapist,
        patient=patient,
        service_type=service_type,
        location=plan.booking.location,
        room=room,
        is_telehealth=is_telehealth,
        weekday=first_date.weekday(),
        local_start_time=local_start_time,
        interval_weeks=interval_weeks,
        first_date=first_date,
        occurrence_count=occurrence_count,
        end_date=end_date,
        booked_through=plan.slots[-1].local_start.date(),
        cap_override_reason=cap_override,
        override_reason=_series_override(plan.slots, override_reason),
        created_by=actor,
    )
    booked, skipped = _book_slots(
        series,
        plan.booking,
        plan.slots,
        actor=actor,
        override_reason=override_reason,
        skip=skip_conflicts,
        clinic=clinic,
    )
    if not booked:
        raise Conflict("None of the series' dates is free.", extra={"dates": [s.as_dict() for s in skipped]})
    appointments_booked_notice(appointments=booked, subject=series, clinic=clinic)
    return SeriesBooked(series, booked, skipped)


@transaction.atomic
def series_extend(*, series: AppointmentSeries, actor=None, today: dt.date | None = None) -> SeriesBooked:
    """Book an open-ended series ahead to the rolling horizon; dates taken meanwhile are skipped, never forced, and
    dates already begun are left out.

    A patient the therapist no longer sees (no session in the cap's window) comes back as a new patient: past the
    therapist's reduced-fee cap the series is not extended (Conflict), unless it was booked with a cap override;
    staff can rebook it with one."""
    series = (
        AppointmentSeries.objects.select_for_update(of=("self",))
        .select_related("therapist", "patient", "service_type", "room", "location")
        .get(pk=series.pk)
    )
    if series.status != SeriesStatus.ACTIVE or not series.is_open_ended:
        return SeriesBooked(series, [], [])
    if not series.patient.is_in_care or not series.therapist.is_active:
        # Nobody to see (a discharged patient) or nobody to see them: the series ends where it is booked to.
        series.status = SeriesStatus.ENDED
        series.end_date = series.booked_through or series.first_date
        series.save(update_fields=["status", "end_date", "updated_at"])
        return SeriesBooked(series, [], [])
    horizon = series_horizon(today)
    dates = series_dates(
        first_date=series.first_date,
        interval_weeks=series.interval_weeks,
        occurrence_count=None,
        end_date=None,
        after=series.booked_through,
        through=horizon,
    )
    if not dates:
        return SeriesBooked(series, [], [])
    if not series.cap_override_reason:
        extensions.reduced_fee_cap_enforce(
            actor=actor, therapist=series.therapist, patient=series.patient, exclude_series_id=series.pk
        )
    booking = Booking(
        series.therapist, series.patient, series.service_type, series.room, series.is_telehealth, series.location
    )
    zone = series.location.zone
    # A date whose clock skips the weekly time (2:30 AM the night the clocks go forward) has no session; the dates
    # after it are booked as usual. Nor has a date already begun: after the beat job stood still (a worker down for
    # weeks), those sessions never took place, and booked now they would be overdue notes nobody can write.
    now = clock.now()
    starts = [clock.local_datetime(d, series.local_start_time, zone) for d in dates]
    starts = [start for start in starts if start > now]
    slots = slots_check(
        therapist=series.therapist,
        patient_id=series.patient_id,
        room_id=series.room_id,
        spans=booking.spans([start for start in starts if not clock.wall_time_missing(start)]),
        location=series.location,
    )
    # The weekly time staff agreed outside working hours stays agreed: those dates are booked with their reason. A date
    # in time off is skipped, never forced.
    in_time_off = [s for s in slots if s.in_time_off]
    booked, skipped = _book_slots(
        series,
        booking,
        [s for s in slots if not s.in_time_off],
        actor=actor,
        override_reason=series.override_reason,
        skip=True,
    )
    skipped = sorted(skipped + in_time_off, key=lambda s: s.start)
    series.booked_through = dates[-1]
    series.save(update_fields=["booked_through", "updated_at"])
    return SeriesBooked(series, booked, skipped)


# ---------------------------------------------------------------------------------------------------------------
# Rescheduling


def _series_and_session_locked(appointment: Appointment) -> tuple[AppointmentSeries, Appointment]:
    """Lock the series the session is in now, then the session: the order every change to "this and the following"
    takes them (the series, then its sessions), so two such changes to one series go in turn, never deadlocked.

    The series is the one the database names for the session, never the caller's copy, which may be stale: a
    session moved with its following ones is in a new series, and the one it left must not be ended or split. It is
    checked again under the session's lock; a session moved in between is refused (409), to be tried again."""
    series_id = Appointment.objects.filter(pk=appointment.pk).values_list("series_id", flat=True).first()
    if series_id is None:
        raise Unprocessable("This session is not part of a series.", fields={"scope": ["Not in a series."]})
    series = AppointmentSeries.objects.select_for_update().get(pk=series_id)
    appointment = _lock(appointment)
    if appointment.series_id != series.pk:
        raise Conflict("This session was just moved to another series; reload it and try again.")
    return series, appointment


def _following_query(appointment: Appointment):
    """This occurrence and the later booked ones of its series."""
    return Appointment.objects.select_related("therapist", "patient", "room", "service_type").filter(
        series_id=appointment.series_id, start__gte=appointment.start, status=AppointmentStatus.BOOKED
    )


def _following(appointment: Appointment) -> list[Appointment]:
    """This occurrence and the later booked ones of its series, locked in primary-key order."""
    rows = _following_query(appointment).select_for_update(of=("self",)).order_by("pk")
    return sorted(rows, key=lambda a: a.start)


@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    actor,
    start: dt.datetime,
    room=KEEP,
    is_telehealth: bool | None = None,
    location: Location | None = None,
    scope: str = "this",
    override_reason: str = "",
    therapist=None,
    cap_override_reason: str = "",
    allow_past: bool = False,
) -> list[Appointment]:
    """Move one occurrence, or this and the following ones of its series (scope="following"), possibly to
    another `therapist` (None keeps the session's own).

    Moving into the past is refused unless staff confirm it (allow_past): moving is for times ahead, or, confirmed,
    for recording when a session really took place (held at 3 instead of 2), which cancelling and booking it again
    would turn into a late cancellation with its fee.

    Following occurrences keep their own dates shifted by the same number of days, at the new local time; the
    series is split so later extensions follow the new pattern. All or nothing: any collision refuses the move.
    Moving a patient's sessions to another therapist gives that therapist the patient, so it is held to their
    reduced-fee cap like a booking (a cap override reason, from staff only, lets it through). Pending reminders
    of moved sessions are cancelled and new ones queued, and the patient gets one notice listing the moved
    sessions.
    """
    _require_aware(start, "start")
    if scope not in ("this", "following"):
        raise Unprocessable("Scope is 'this' or 'following'.", fields={"scope": ["Choose this or following."]})
    # "The following" locks the series the session is in now before the session, as every series change does.
    appointment = _series_and_session_locked(appointment)[1] if scope == "following" else _lock(appointment)
    if appointment.status != AppointmentStatus.BOOKED:
        raise InvalidTransition(f"A {appointment.get_status_display().lower()} session cannot be moved.")
    moving = _following(appointment) if scope == "following" else [appointment]
    new_therapist = appointment.therapist if therapist is None else therapist
    changes_therapist = new_therapist.pk != appointment.therapist_id
    refusal = extensions.handover_refusal(appointments=moving, therapist=new_therapist) if changes_therapist else None
    if refusal:
        raise Conflict(refusal, fields={"therapist": ["A session with a note stays with its therapist."]})
    new_room = appointment.room if room is KEEP else room
    telehealth = appointment.is_telehealth if is_telehealth is None else is_telehealth
    if telehealth and room is KEEP:
        new_room = None
    # A move keeps the session's location unless it names another, moves to a room elsewhere, or hands a telehealth
    # session to another therapist (whose office then times it).
    moves_place = new_room is not None or (telehealth and changes_therapist)
    booking = _booking_validate(
        therapist=new_therapist,
        patient=appointment.patient,
        service_type=appointment.service_type,
        room=new_room,
        is_telehealth=telehealth,
        location=location or (None if moves_place else appointment.location),
        start=start,
    )
    old_tz, tz = appointment.zone, booking.location.zone
    new_local = timezone.localtime(start, tz)
    shift = new_local.date() - timezone.localtime(appointment.start, old_tz).date()
    starts = [
        clock.local_datetime(
            timezone.localtime(a.start, old_tz).date() + shift, new_local.time().replace(tzinfo=None), tz
        )
        for a in moving
    ]
    slots = slots_check(
        therapist=new_therapist,
        patient_id=appointment.patient_id,
        room_id=new_room.pk if new_room else None,
        spans=booking.spans(starts),
        location=booking.location,
        exclude_ids=frozenset(a.pk for a in moving),
    )
    _past_check(actor=actor, slots=slots, allow_past=allow_past, moving=True)
    collisions = [c for s in slots for c in s.collisions]
    if collisions:
        raise _conflict(collisions)
    _override_check(actor=actor, slots=slots, override_reason=override_reason)
    extensions.booking_checks.enforce(
        patient=appointment.patient,
        therapist=new_therapist,
        service_type=appointment.service_type,
        starts=[s.start for s in slots],
        series=scope == "following",
    )
    cap_override = ""
    if changes_therapist and appointment.patient is not None:
        cap_override = extensions.reduced_fee_cap_enforce(
            actor=actor, therapist=new_therapist, patient=appointment.patient, override_reason=cap_override_reason
        )
    later = slots[0].start > moving[0].start
    previous_starts = [a.start for a in moving]
    previous_zones = [a.zone for a in moving]
    previous_places = [extensions.MovedSession.place_of(a) for a in moving]
    for moved, slot in zip(moving, slots, strict=True):
        if changes_therapist:
            moved.therapist = new_therapist
        moved.start, moved.end = slot.start, slot.end
        moved.location = booking.location
        moved.room = new_room
        # The link is the only key to the video room: a session handed to another therapist gets a new one, so the
        # therapist it was taken from (someone leaving, say) cannot open their colleague's session with the patient.
        link = moved.telehealth_url if moved.is_telehealth and not changes_therapist else telehealth_url_new()
        moved.telehealth_url = link if telehealth else ""
        moved.is_telehealth = telehealth
        moved.override_reason = override_reason.strip() if slot.unavailable else ""
    # Moving later, write the last first (and earlier, the first first) so no row steps on a sibling's old slot.
    _save_guarded(sorted(moving, key=lambda a: a.start, reverse=later))
    if scope == "following":
        _series_split(
            appointment.series,
            moving,
            new_local,
            shift,
            room=new_room,
            location=booking.location,
            telehealth=telehealth,
            therapist=new_therapist if changes_therapist else None,
            cap_override_reason=cap_override,
            override_reason=_series_override(slots, override_reason),
            actor=actor,
        )
    # A move is booked → booked: the reminders' reaction withdraws the old time's reminders and queues new ones.
    transitions_record(
        [
            _transition_row(
                moved,
                actor=actor,
                from_status=AppointmentStatus.BOOKED,
                reason=f"Moved from {timezone.localtime(was, old_tz):%Y-%m-%d %H:%M}.",
            )
            for was, moved in zip(previous_starts, moving, strict=True)
        ]
    )
    appointments_moved_notice(moves=list(zip(previous_starts, previous_zones, moving, strict=True)))
    if appointment.patient_id is None:
        # A group meeting has no patient to tell: its program tells its members.
        extensions.group_meetings_moved(
            moves=[
                extensions.MovedSession(appointment=moved, previous_start=was, previous_zone=zone, previous_place=place)
                for was, zone, place, moved in zip(
                    previous_starts, previous_zones, previous_places, moving, strict=True
                )
            ]
        )
    return moving


def _series_split(
    series,
    moving,
    new_local,
    shift,
    *,
    room,
    location,
    telehealth,
    therapist,
    cap_override_reason: str,
    override_reason: str,
    actor,
) -> None:
    """The moved occurrences become a new series with the new weekday and time, and the new `therapist` if they
    were handed over (None keeps the series' own); the old one ends before them. The new series keeps the old one's
    cap override while the therapist stays, else carries the override given for the new therapist, so its
    extension is held to the right cap."""
    series = AppointmentSeries.objects.get(pk=series.pk)
    therapist = therapist or series.therapist
    first_moved_date = timezone.localtime(moving[0].start, location.zone).date()
    moved_ids = [a.pk for a in moving]
    earlier = Appointment.objects.filter(series=series, start__lt=moving[0].start).exclude(pk__in=moved_ids)
    remaining = None if series.occurrence_count is None else max(series.occurrence_count - earlier.count(), 1)
    same_therapist = therapist.pk == series.therapist_id
    successor = AppointmentSeries.objects.create(
        therapist=therapist,
        patient=series.patient,
        service_type=series.service_type,
        location=location,
        room=room,
        is_telehealth=telehealth,
        weekday=first_moved_date.weekday(),
        local_start_time=new_local.time().replace(tzinfo=None),
        interval_weeks=series.interval_weeks,
        first_date=first_moved_date,
        occurrence_count=remaining,
        end_date=series.end_date + shift if series.end_date else None,
        booked_through=series.booked_through + shift if series.booked_through else None,
        cap_override_reason=series.cap_override_reason if same_therapist else cap_override_reason,
        override_reason=override_reason,
        created_by=actor,
    )
    Appointment.objects.filter(pk__in=moved_ids).update(series=successor)
    for moved in moving:
        moved.series = successor
    if earlier.exists():
        series.end_date = first_moved_date - shift - dt.timedelta(days=1)
        series.occurrence_count = None
        series.status = SeriesStatus.ENDED
    else:
        series.status = SeriesStatus.CANCELLED
    series.save()


# ---------------------------------------------------------------------------------------------------------------
# Cancelling and the session's status flow


def cancellation_is_late(appointment: Appointment, at: dt.datetime | None = None) -> bool:
    """Inside the clinic's cancellation window (ClinicSettings.cancellation_window_hours) before the start."""
    window = dt.timedelta(hours=ClinicSettings.load().cancellation_window_hours)
    return (at or clock.now()) > appointment.start - window


@dataclass(frozen=True)
class CancellationOutcome:
    """What cancelling one session records: a late cancellation or not, and the late-cancel charge it posts."""

    appointment: Appointment
    late: bool
    fee: "Price | None"  # None: no charge is posted (not late, waived, a group meeting, or no fee configured)


@dataclass(frozen=True)
class CancellationPreview:
    outcomes: list[CancellationOutcome]

    @property
    def is_late(self) -> bool:
        return any(o.late for o in self.outcomes)

    @property
    def fee_total(self) -> Decimal:
        return sum((o.fee.fee for o in self.outcomes if o.fee is not None), Decimal("0.00"))


def _cancels_as_staff(actor) -> bool:
    return actor is not None and actor.has_role(*STAFF_CANCEL_ROLES)  # None: a patient's link, no account


def _not_cancellable_message(appointment: Appointment) -> str:
    """Why a session no longer booked cannot be cancelled, as staff and the patient read it: what became of it and
    when, and what is left to do."""
    session_day = day_text(appointment.local_start.date())
    if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED):
        cancelled_on = day_text(timezone.localtime(appointment.cancelled_at, appointment.zone).date())
        late = ", as a late cancellation" if appointment.status == AppointmentStatus.LATE_CANCELLED else ""
        return (
            f"This session was already cancelled on {cancelled_on}{late}. "
            "Nothing more is needed; a new session can be booked for another time."
        )
    if appointment.status == AppointmentStatus.COMPLETED:
        return f"This session took place on {session_day} and is recorded as completed, so it cannot be cancelled."
    if appointment.status == AppointmentStatus.NO_SHOW:
        return f"This session on {session_day} is recorded as a no-show, so it cannot be cancelled."
    return "The patient has checked in for this session, so it cannot be cancelled; record it as completed instead."


def cancellable_check(appointment: Appointment, *, actor, scope: str = "this") -> None:
    """What any cancellation asks of the session it starts from, the same for its confirmation (the preview) and
    for cancelling itself: the session is still booked (409 otherwise, also as the start of "this and the
    following", which would otherwise cancel the later ones), not yet begun unless staff cancel it (422) and, for
    scope "following", part of a series (422)."""
    if appointment.status != AppointmentStatus.BOOKED:
        raise InvalidTransition(_not_cancellable_message(appointment))
    if appointment.has_begun and not _cancels_as_staff(actor):
        # Under way or gone by, the time is no longer the patient's to give back: the session is completed or a
        # no-show, which staff record (and staff may still cancel it: the clinic cancelled, a history entered late).
        raise Unprocessable("This session has already begun, so it can no longer be cancelled. Call the front desk.")
    if scope == "following" and appointment.series_id is None:
        raise Unprocessable("This session is not part of a series.", fields={"scope": ["Not in a series."]})


def cancellation_preview(
    *, appointment: Appointment, actor, scope: str = "this", waive_late_fee: bool = False
) -> CancellationPreview:
    """What cancelling would do, before anything is written (what the confirmation states): the sessions it cancels
    (scope "following": this one and the later booked ones of its series), which are late, and the late-cancel fee
    each posts at the patient's class, priced as billing prices the charge itself. Refused as cancelling by `actor`
    would be."""
    cancellable_check(appointment, actor=actor, scope=scope)
    sessions = list(_following_query(appointment).order_by("start")) if scope == "following" else [appointment]
    late = [s for s in sessions if cancellation_is_late(s) and not waive_late_fee]
    # Priced together, in the order their charges post: a package covers only as many as it has sessions left.
    fees = dict(zip((s.pk for s in late), extensions.outcome_prices(appointments=late, policy_fee=True), strict=True))
    return CancellationPreview([CancellationOutcome(s, s.pk in fees, fees.get(s.pk)) for s in sessions])


def late_fee_to_waive(appointment: Appointment, *, actor) -> bool:
    """Whether cancelling the session now posts a late-cancel charge that staff could waive: what the cancellation's
    preview states, so never for a session outside the window, a group meeting (its attendees are charged from the
    attendance, not per session) or a clinic without a fee in force."""
    try:
        [outcome] = cancellation_preview(appointment=appointment, actor=actor).outcomes
    except ApplicationError:
        return False
    return outcome.fee is not None


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, actor, reason: str = "", waive_late_fee: bool = False
) -> Appointment:
    """Cancel a booked session, freeing its slot.

    Inside the policy window it becomes late_cancelled, which billing charges at the patient's sliding-scale
    rate, unless staff waive the fee (the clinic cancelled, an emergency) with a reason. Its reminders are
    withdrawn and the patient told, in the same transaction (reactions to the cancelled transition).
    """
    [transition] = transitions_record(
        [_cancel(appointment=appointment, actor=actor, reason=reason, waive_late_fee=waive_late_fee)]
    )
    return transition.appointment


def _cancel(
    *, appointment: Appointment, actor, reason: str, waive_late_fee: bool, ends_series: bool = False
) -> AppointmentTransition:
    appointment = _lock(appointment)
    cancellable_check(appointment, actor=actor)
    if waive_late_fee:
        if not _cancels_as_staff(actor):
            raise PermissionDenied("Only clinic staff may waive the late-cancellation fee.")
        if not reason.strip():
            raise Unprocessable("Say why the fee is waived.", fields={"reason": ["Required to waive the fee."]})
    appointment.cancelled_at = clock.now()
    appointment.cancelled_by = actor
    appointment.cancellation_reason = reason.strip()
    if cancellation_is_late(appointment) and not waive_late_fee:
        appointment.status = AppointmentStatus.LATE_CANCELLED
        appointment.save()
    else:
        appointment.status = AppointmentStatus.CANCELLED
        appointment.save()
    return _transition_row(
        appointment,
        actor=actor,
        from_status=AppointmentStatus.BOOKED,
        reason=appointment.cancellation_reason,
        ends_series=ends_series,
    )


@transaction.atomic
def series_cancel_following(
    *, appointment: Appointment, actor, reason: str = "", waive_late_fee: bool = False
) -> list[Appointment]:
    """Cancel this occurrence and every later booked one; the series books no more dates.

    The first cancellation's transition says the series ends there, so the weekly time is offered down the slot
    waitlist (the programs app's reaction); the reactions run once the series itself is ended."""
    cancellable_check(appointment, actor=actor, scope="following")
    # Read again under its lock: the session the caller holds may have been cancelled since, and then it starts
    # nothing, or moved into a new series, and then that one ends.
    series, appointment = _series_and_session_locked(appointment)
    cancellable_check(appointment, actor=actor, scope="following")
    transitions = [
        _cancel(appointment=a, actor=actor, reason=reason, waive_late_fee=waive_late_fee, ends_series=i == 0)
        for i, a in enumerate(_following(appointment))
    ]
    cancelled = [t.appointment for t in transitions]
    if not cancelled:
        raise InvalidTransition("No booked sessions from here on to cancel.")
    first_local = cancelled[0].local_start.date()
    if first_local <= series.first_date:
        series.status = SeriesStatus.CANCELLED
    else:
        series.status = SeriesStatus.ENDED
        series.end_date = first_local - dt.timedelta(days=1)
        series.occurrence_count = None
    series.save()
    transitions_record(transitions)
    return cancelled


def _require_status(appointment: Appointment, allowed: set[str], verb: str) -> None:
    if appointment.status not in allowed:
        raise InvalidTransition(f"A {appointment.get_status_display().lower()} session cannot be {verb}.")


def _require_started(appointment: Appointment, verb: str) -> None:
    if clock.now() < appointment.start:
        raise Unprocessable(f"A session can only be {verb} once it has started.")


@transaction.atomic
def appointment_check_in(*, appointment: Appointment, actor) -> Appointment:
    """The patient has arrived (or joined the video call). Only on the day of the session."""
    appointment = _lock(appointment)
    _check_in_allowed(appointment)
    appointment.status = AppointmentStatus.CHECKED_IN
    appointment.checked_in_at = clock.now()
    appointment.save()
    transitions_record([_transition_row(appointment, actor=actor, from_status=AppointmentStatus.BOOKED)])
    return appointment


CHECK_IN_UNDONE = "Check-in undone."


@transaction.atomic
def appointment_check_in_undo(*, appointment: Appointment, actor) -> Appointment:
    """Take back a check-in made in error (the wrong patient ticked at the desk): the session is booked again, as
    if nobody had arrived, and its transition says who undid it.

    Only while the session is still just checked in. Nothing reacts to a check-in (no charge, no message), so
    undoing one leaves nothing behind; a completed session has been charged, or its note signed (signing completes
    it in the same transaction), and its check-in stays. The status is read under the row lock that completing,
    signing and marking a no-show also take: an undo waiting on a completion finds it completed and is refused, a
    completion waiting on an undo completes a booked session. A repeat (a double click) finds the session booked
    and changes nothing."""
    appointment = _lock(appointment)
    if appointment.status == AppointmentStatus.BOOKED:
        return appointment
    _check_in_undo_allowed(appointment)
    appointment.status = AppointmentStatus.BOOKED
    appointment.checked_in_at = None
    appointment.save()
    transitions_record(
        [_transition_row(appointment, actor=actor, from_status=AppointmentStatus.CHECKED_IN, reason=CHECK_IN_UNDONE)]
    )
    return appointment


def appointment_complete(*, appointment: Appointment, actor, locked: bool = False) -> Appointment:
    """The session took place; billing charges it in the same transaction (its reaction to the completed
    transition). Completing an already completed session changes nothing (note signing may repeat); the status is
    read under the lock, so a second completion waiting on the first finds it done instead of refusing it. With
    `locked`, `appointment` is the row `appointment_lock` returned in the caller's transaction and is completed as
    read, in that transaction: a refusal rolls it back whole, so no savepoint of its own is taken (two statements on
    every note signing that completes its session)."""
    if locked:
        return _complete(appointment, actor=actor)
    with transaction.atomic():
        return _complete(_lock(appointment), actor=actor)


def _complete(appointment: Appointment, *, actor) -> Appointment:
    if appointment.status == AppointmentStatus.COMPLETED:
        return appointment
    _completion_allowed(appointment)
    was = appointment.status
    appointment.status = AppointmentStatus.COMPLETED
    appointment.completed_at = clock.now()
    appointment.save(update_fields=["status", "completed_at", "updated_at"])
    transitions_record([_transition_row(appointment, actor=actor, from_status=was)])
    return appointment


def no_show_preview(*, appointment: Appointment):
    """What marking the session a no-show would post, before anything is written (what the confirmation states):
    billing's answer by the rules its charge follows (the policy fee at the patient's class, or a session of their
    package when one covers it), or None when nothing would be posted. Refused as the marking itself would be."""
    _no_show_allowed(appointment)
    [price] = extensions.outcome_prices(appointments=[appointment], policy_fee=True)
    return price


def completion_preview(*, appointment: Appointment):
    """What completing the session would post, before anything is written (what the confirmation states): the
    session's fee at the patient's class, or a session of their package when one covers it, or None when nothing
    would be posted (a group meeting, charged per attendee). Refused as the completion itself would be."""
    _completion_allowed(appointment)
    [price] = extensions.outcome_prices(appointments=[appointment], policy_fee=False)
    return price


# How long before its start a session's check-in opens: a patient early for their session is checked in, a click
# on the wrong row of a day's list hours ahead is not.
CHECK_IN_OPENS_BEFORE = dt.timedelta(hours=2)


def _check_in_allowed(appointment: Appointment) -> None:
    """On the session's day, from two hours before its start (from the day's start, for a session in its first two
    hours) until its end. A session that ended without a check-in is recorded as completed or a no-show instead.
    Refused as not yet or no longer possible (409), with when it opens or what to do instead, whatever day it is: the
    session page and the API ask this one check."""
    _require_status(appointment, {AppointmentStatus.BOOKED}, "checked in")
    now = clock.now()
    zone = appointment.zone
    local_start, today = appointment.local_start, timezone.localtime(now, zone).date()
    if now >= appointment.end:
        ended = timezone.localtime(appointment.end, zone)
        on = "" if ended.date() == today else f" on {_weekday_day_text(ended.date())}"
        raise InvalidTransition(
            f"This session ended at {clock_text(ended)}{on} without a check-in: record it as completed or as a no-show."
        )
    day_opens = clock.local_datetime(local_start.date(), dt.time(0, 0), zone)
    opens = timezone.localtime(max(appointment.start - CHECK_IN_OPENS_BEFORE, day_opens), zone)
    if now < opens:
        before = ", two hours before the session" if opens == appointment.start - CHECK_IN_OPENS_BEFORE else ""
        if local_start.date() == today:
            raise InvalidTransition(f"Check-in opens at {clock_text(opens)}{before}.")
        raise InvalidTransition(
            f"This session is on {_weekday_day_text(local_start.date())}: check-in opens that day at "
            f"{clock_text(opens)}{before}."
        )
    if local_start.date() != today:
        # Begun before midnight and not over yet: the day it was to be checked in on has passed.
        raise InvalidTransition(
            f"This session began on {_weekday_day_text(local_start.date())}, and a session is checked in on the day "
            "it begins: record it as completed or as a no-show."
        )


def _weekday_day_text(day: dt.date) -> str:
    """ "Tuesday, December 8, 2026": a day a refusal names, so nobody reads it as another."""
    return f"{day:%A}, {day_text(day)}"


def _check_in_undo_allowed(appointment: Appointment) -> None:
    if appointment.status == AppointmentStatus.CHECKED_IN:
        return
    if appointment.status == AppointmentStatus.COMPLETED:
        raise InvalidTransition("This session is recorded as completed, so its check-in can no longer be undone.")
    raise InvalidTransition(
        f"This session is {appointment.get_status_display().lower()}, not checked in: there is no check-in to undo."
    )


def _completion_allowed(appointment: Appointment) -> None:
    _require_status(appointment, {AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN}, "completed")
    _require_started(appointment, "completed")


def _no_show_allowed(appointment: Appointment) -> None:
    _require_status(appointment, {AppointmentStatus.BOOKED}, "marked as a no-show")
    _require_started(appointment, "marked as a no-show")


# What each outcome of the session page checks before it is recorded.
OUTCOME_CHECKS = {
    "check-in": _check_in_allowed,
    "undo-check-in": _check_in_undo_allowed,
    "complete": _completion_allowed,
    "no-show": _no_show_allowed,
}


def outcomes_open(appointment: Appointment) -> set[str]:
    """The outcomes that can be recorded now ("check-in", "undo-check-in", "complete", "no-show"): the ones their
    services would accept, by the same checks, so a page never offers what would be refused (completing next week's
    session)."""
    allowed = set()
    for action, check in OUTCOME_CHECKS.items():
        try:
            check(appointment)
        except ApplicationError:
            continue
        allowed.add(action)
    return allowed


@transaction.atomic
def appointment_no_show(*, appointment: Appointment, actor) -> Appointment:
    """The patient did not come and did not cancel; billing charges the policy fee at their sliding-scale rate."""
    appointment = _lock(appointment)
    _no_show_allowed(appointment)
    appointment.status = AppointmentStatus.NO_SHOW
    appointment.save()
    transitions_record([_transition_row(appointment, actor=actor, from_status=AppointmentStatus.BOOKED)])
    return appointment


# ---------------------------------------------------------------------------------------------------------------
# Reference data: rooms, service types, working hours, time off


def _save_validated(instance):
    instance.full_clean()
    instance.save()
    return instance


def _assign(instance, data: dict):
    for name, value in data.items():
        setattr(instance, name, value)
    return _save_validated(instance)


def reference_save(*, actor, action: str, instance, data: dict):
    """Save a room or a service type and keep who changed which fields (reference data, nothing personal)."""
    created = instance.pk is None
    instance = _assign(instance, data)
    access_log_write(actor=actor, action=action, subject=instance, detail={"created": created, "fields": sorted(data)})
    return instance


@transaction.atomic
def room_save(*, actor, room: Room | None = None, **data) -> Room:
    """A room with sessions stays at its location: they were booked (and timed) there."""
    if room is not None and room.pk and "location" in data:
        room = Room.objects.select_for_update().get(pk=room.pk)
        moved = data["location"] is not None and data["location"].pk != room.location_id
        if moved and (room.appointments.exists() or AppointmentSeries.objects.filter(room=room).exists()):
            raise Conflict(
                f"Sessions are booked in {room.name} at {room.location.name}; add a room at the other location "
                "instead.",
                fields={"location": ["Fixed once sessions are booked in the room."]},
            )
    return reference_save(actor=actor, action="room_save", instance=room or Room(), data=data)


@transaction.atomic
def service_type_save(*, actor, service_type: ServiceType | None = None, **data) -> ServiceType:
    """A service's discipline is fixed once it has sessions: they were booked with providers of that discipline."""
    if service_type is not None and service_type.pk and "discipline" in data:
        service_type = ServiceType.objects.select_for_update().get(pk=service_type.pk)
        if data["discipline"] != service_type.discipline and service_type.appointments.exists():
            raise Conflict(
                "Sessions are booked with this service; add a new service for the other discipline instead.",
                fields={"discipline": ["Fixed once sessions are booked."]},
            )
    return reference_save(actor=actor, action="service_type_save", instance=service_type or ServiceType(), data=data)


def _require_therapist(therapist) -> None:
    if not therapist.has_role(Role.THERAPIST):
        raise Unprocessable("Choose a therapist.", fields={"therapist": ["Not a therapist."]})


def _locked(instance):
    """The row again, locked: two people editing the same block change it one after the other."""
    return type(instance).objects.select_for_update().get(pk=instance.pk)


def _availability_fields(instance) -> dict:
    """What an audit row keeps of working hours or time off: the times, never the reason (it may be personal)."""
    if isinstance(instance, WorkingHours):
        return {
            "weekday": instance.weekday,
            "start": str(instance.start_time),
            "end": str(instance.end_time),
            "location": instance.location_id,
        }
    return {"start": instance.start.isoformat(), "end": instance.end.isoformat(), "time_zone": instance.time_zone}


def _availability_audit(*, actor, action: str, instance, before: dict | None, deleted: bool = False) -> None:
    after = None if deleted else _availability_fields(instance)
    access_log_write(
        actor=actor,
        action=action,
        subject=instance,
        detail={"therapist": instance.therapist_id, "before": before, "after": after},
    )


def _overlapping_hours(instance: WorkingHours) -> WorkingHours | None:
    return (
        WorkingHours.objects.select_related("location")
        .filter(
            therapist=instance.therapist,
            weekday=instance.weekday,
            start_time__lt=instance.end_time,
            end_time__gt=instance.start_time,
        )
        .exclude(pk=instance.pk)
        .first()
    )


def _hours_overlap_refused(other: WorkingHours | None) -> Unprocessable:
    what = f"{other} at {other.location.name}" if other else "other working hours that day"
    return Unprocessable(f"These hours overlap {what}.", fields={"start_time": [f"Overlaps {what}."]})


def _block_instants(block: WorkingHours, near: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The block's span on its weekday in the week of `near`, as instants in its location's zone."""
    day = near + dt.timedelta(days=block.weekday - near.weekday())
    zone = block.location.zone
    return clock.local_datetime(day, block.start_time, zone), clock.local_datetime(day, block.end_time, zone)


def _overlapping_elsewhere(instance: WorkingHours) -> WorkingHours | None:
    """Another block of the therapist at a location in another zone that overlaps this one in real time (Monday
    09:00 in Los Angeles is Monday 12:00 in New York). Weekday and wall-clock alone cannot tell, so the blocks are
    compared in a winter and a summer week, since the zones' distance can change with DST; the neighbouring
    weekdays count too, as a zone's evening can be the next day elsewhere."""
    others = (
        WorkingHours.objects.filter(
            therapist=instance.therapist, weekday__in=[(instance.weekday + d) % 7 for d in (-1, 0, 1)]
        )
        .exclude(pk=instance.pk)
        .exclude(location__time_zone=instance.location.time_zone)
        .select_related("location")
    )
    week = dt.timedelta(days=7)
    for other in others:
        for near in (dt.date(2026, 1, 14), dt.date(2026, 7, 15)):
            start, end = _block_instants(instance, near)
            other_start, other_end = _block_instants(other, near)
            # Sunday evening is next to Monday morning: the other block's week before and after count too.
            if any(other_start + k * week < end and start < other_end + k * week for k in (-1, 0, 1)):
                return other
    return None


def _hours_elsewhere_refused(instance: WorkingHours, other: WorkingHours) -> Unprocessable:
    mine = f"{instance} at {instance.location.name} ({zone_short_label(instance.location.time_zone)})"
    theirs = f"{other} at {other.location.name} ({zone_short_label(other.location.time_zone)})"
    return Unprocessable(
        f"{mine} overlaps {theirs} in real time: a therapist is in one place at a time.",
        fields={"start_time": [f"Overlaps {theirs}."]},
    )


@transaction.atomic
def working_hours_save(*, actor, working_hours: WorkingHours | None = None, **data) -> WorkingHours:
    """Working hours of one weekday at one location (the therapist's office unless named); blocks of one
    therapist on one weekday never overlap (the database holds that too, so a lost race gets the same answer),
    nor do blocks at locations in other zones once both are put in real time."""
    instance = _locked(working_hours) if working_hours else WorkingHours()
    before = _availability_fields(instance) if working_hours else None
    location = data.pop("location", None)
    for name, value in data.items():
        setattr(instance, name, value)
    _require_therapist(instance.therapist)
    if location is not None or not working_hours:
        instance.location = location or therapist_location(instance.therapist)
    if not instance.location.is_active:
        raise _location_closed()
    if instance.start_time >= instance.end_time:
        raise Unprocessable("Working hours end after they start.", fields={"end_time": ["Must be after the start."]})
    if (other := _overlapping_hours(instance)) is not None:
        raise _hours_overlap_refused(other)
    if (other := _overlapping_elsewhere(instance)) is not None:
        raise _hours_elsewhere_refused(instance, other)
    instance.full_clean(validate_constraints=False)  # the constraints are the database's to hold, below
    save_held_by(
        instance, "working_hours_no_overlap", refusal=lambda: _hours_overlap_refused(_overlapping_hours(instance))
    )
    _availability_audit(actor=actor, action="working_hours_save", instance=instance, before=before)
    return instance


def _availability_delete(*, actor, row: WorkingHours | TimeOff, action: str) -> None:
    instance = _locked(row)
    before = _availability_fields(instance)
    _availability_audit(actor=actor, action=action, instance=instance, before=before, deleted=True)
    instance.delete()


@transaction.atomic
def working_hours_delete(*, actor, working_hours: WorkingHours) -> None:
    _availability_delete(actor=actor, row=working_hours, action="working_hours_delete")


def _time_off_zone_refused(name: str) -> Unprocessable:
    if not name:
        message = "Name the time zone the times are on, e.g. America/New_York."
    else:
        message = f"“{name}” is not a time zone; pick one such as America/New_York."
    return Unprocessable(message, fields={"time_zone": [message]})


@transaction.atomic
def time_off_save(*, actor, time_off: TimeOff | None = None, **data) -> TimeOff:
    """Time off blocks booking; sessions already booked in it are left for the front desk to move
    (selectors.sessions_in_time_off names them). Its `time_zone` is the clock its times were typed on: the
    clinic's when new time off names none, and kept when a change names none."""
    instance = _locked(time_off) if time_off else TimeOff()
    before = _availability_fields(instance) if time_off else None
    for name, value in data.items():
        setattr(instance, name, value)
    _require_therapist(instance.therapist)
    for name in ("start", "end"):
        _require_aware(getattr(instance, name), name)
    if instance.start >= instance.end:
        raise Unprocessable("Time off ends after it starts.", fields={"end": ["Must be after the start."]})
    if not zone_known(instance.time_zone):
        raise _time_off_zone_refused(instance.time_zone)
    instance.full_clean()
    # A zone Python knows and Postgres does not is refused by the database's trigger, in the same words.
    save_held_by(instance, "time_off_time_zone_known", refusal=lambda: _time_off_zone_refused(instance.time_zone))
    _availability_audit(actor=actor, action="time_off_save", instance=instance, before=before)
    return instance


@transaction.atomic
def time_off_delete(*, actor, time_off: TimeOff) -> None:
    _availability_delete(actor=actor, row=time_off, action="time_off_delete")


# ---------------------------------------------------------------------------------------------------------------
# Calendar feed


@transaction.atomic
def calendar_feed_issue(*, actor, therapist) -> str:
    """A new secret feed token for the therapist; any earlier one stops working. The token is shown once."""
    _require_therapist(therapist)
    calendar_feed_revoke(actor=actor, therapist=therapist)
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.create(therapist=therapist, token_hash=calendar_feed_token_hash(token))
    return token


@transaction.atomic
def calendar_feed_revoke(*, actor, therapist) -> int:
    """Stop the therapist's feed links; who stopped them is kept when there was one to stop."""
    revoked = CalendarFeed.objects.filter(therapist=therapist, revoked_at__isnull=True).update(revoked_at=clock.now())
    if revoked:
        access_log_write(actor=actor, action="calendar_feed_revoke", subject=therapist, detail={"revoked": revoked})
    return revoked


def calendar_feed_on_practice_ended(*, actor, user) -> None:
    """A therapist who leaves, or loses the therapist role, keeps no live feed link: reactivating them or giving the
    role back would otherwise bring it back."""
    calendar_feed_revoke(actor=actor, therapist=user)
