"""What a patient may book online: the clinic's booking window, the therapists who take first sessions, and the
free slots of a therapist's week (working hours minus time off minus booked sessions)."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from apps.accounts.disciplines import Discipline
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core import clock
from apps.core.errors import Unprocessable
from apps.core.models import ClinicSettings
from apps.core.request_memo import memo_read
from apps.notes.selectors import patient_intake_notes_signed
from apps.patients.models import Patient
from apps.scheduling.availability import Slot, slots_check
from apps.scheduling.models import Appointment, Location, ServiceType, WorkingHours
from apps.scheduling.selectors import (
    offices_kept,
    patient_sessions_coming,
    patient_sessions_started,
    patient_upcoming,
    therapist_office_at,
    therapist_working_hours,
)
from apps.scheduling.services import INTAKE_CPT

# Slots start on the hour and the half hour inside working hours: a short list a patient can scan on a phone.
SLOT_STEP = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Window:
    """The span a patient may book into: from the least notice after now to the horizon the clinic sets."""

    earliest: dt.datetime
    latest: dt.datetime
    notice_hours: int
    horizon_weeks: int

    def refusal(self, start: dt.datetime) -> str:
        """Why `start` is outside the window, in the patient's words; "" when inside."""
        if start < self.earliest:
            return f"Sessions can be booked online at least {self.notice_hours} hours ahead. Choose a later time."
        if start > self.latest:
            return f"Sessions can be booked online up to {self.horizon_weeks} weeks ahead. Choose an earlier time."
        return ""

    def weeks(self) -> tuple[dt.date, dt.date]:
        """The first and the last week (their Mondays) that can hold a time inside the window. Each office lists its
        times by its own dates, which may be a day off the clinic's, so a day either side counts in."""
        zone = clock.clinic_tz()
        first = timezone.localtime(self.earliest, zone).date() - dt.timedelta(days=1)
        last = timezone.localtime(self.latest, zone).date() + dt.timedelta(days=1)
        return monday_of(first), monday_of(last)

    def week_refusal(self, week: dt.date) -> str:
        """Why the week starting `week` has no time to offer, in the patient's words; "" when it may have."""
        first, last = self.weeks()
        if first <= week <= last:
            return ""
        return f"Sessions can be booked online from the week of {first:%B %-d, %Y} to the week of {last:%B %-d, %Y}."

    def week_nearest(self, week: dt.date) -> dt.date:
        """`week`, or the window's week nearest to it when it is outside."""
        first, last = self.weeks()
        return min(max(week, first), last)


def booking_window(*, now: dt.datetime | None = None) -> Window:
    clinic = ClinicSettings.load()
    now = now or clock.now()
    return Window(
        earliest=now + dt.timedelta(hours=clinic.self_booking_min_notice_hours),
        latest=now + dt.timedelta(weeks=clinic.self_booking_horizon_weeks),
        notice_hours=clinic.self_booking_min_notice_hours,
        horizon_weeks=clinic.self_booking_horizon_weeks,
    )


def week_of(value: str | None) -> dt.date:
    """The Monday of the week a date string (YYYY-MM-DD) falls in; the current week when none is given."""
    if not value:
        day = clock.local_now().date()
    else:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise Unprocessable(
                "That is not a date; give it as YYYY-MM-DD.", fields={"week": ["Not a date (YYYY-MM-DD)."]}
            ) from None
    return monday_of(day)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def first_session_service() -> ServiceType | None:
    """The intake assessment a patient books as their first session."""
    return ServiceType.objects.filter(code=INTAKE_CPT, is_active=True, is_group=False).first()


def therapists_taking_first_sessions() -> QuerySet[User]:
    """Active psychotherapists open to new patients with online booking on (the clinic's switch is the caller's):
    the first session is an intake assessment, a psychotherapy service."""
    return (
        User.objects.filter(
            groups__name=Role.THERAPIST,
            is_active=True,
            therapist_profile__self_booking=True,
            therapist_profile__accepts_new_patients=True,
            therapist_profile__discipline=Discipline.PSYCHOTHERAPY,
        )
        .select_related("therapist_profile")
        .order_by("last_name", "first_name", "pk")
    )


def therapist_taking_first_sessions(*, therapist_id) -> User | None:
    return therapists_taking_first_sessions().filter(pk=therapist_id).first()


def own_session(*, patient, appointment_id) -> Appointment | None:
    """One of the patient's own coming sessions, or None (someone else's is as absent as a missing one)."""
    return next((a for a in patient_upcoming(patient=patient) if a.pk == appointment_id), None)


def upcoming_first_session(*, patient) -> Appointment | None:
    return next((a for a in patient_upcoming(patient=patient) if a.service_type.code == INTAKE_CPT), None)


def _intake_on_record_q(patient) -> Q:
    """Over the patient's row: they have had their first session, or have it coming: an intake assessment booked,
    arrived or completed (one cancelled, cancelled late or missed started nothing, so they may book again), or a
    signed psychotherapy intake note, written on whatever session the intake was held in."""
    intakes = patient_sessions_started(patient=patient, service_codes={INTAKE_CPT})
    notes = patient_intake_notes_signed(patient=patient, discipline=Discipline.PSYCHOTHERAPY)
    return Q(Exists(intakes)) | Q(Exists(notes))


def intake_on_record(*, patient) -> bool:
    """Whether the patient's intake is on record (`_intake_on_record_q`): one query."""
    return Patient.objects.filter(_intake_on_record_q(patient), pk=patient.pk).exists()


def _booking_offered_q(patient) -> Q:
    """Over a patient's row (`patient`, or a reference to the row the query reads): the Book page has something for
    them, a first session to book (no intake on record) or one to move (a first session coming)."""
    first_coming = patient_sessions_coming(patient=patient).filter(service_type__code=INTAKE_CPT)
    return Q(Exists(first_coming)) | ~_intake_on_record_q(patient)


def _booking_offered_rows(patient) -> QuerySet[Patient]:
    """The patient's row while the Book page has something for them (`_booking_offered_q`)."""
    return Patient.objects.filter(_booking_offered_q(patient), pk=patient.pk)


def booking_offered(*, patient) -> bool:
    """Whether the Book page has something for the patient (`_booking_offered_rows`). Anyone else is told there how
    to ask for their next sessions instead, so the sessions page offers the page only when this holds. One query,
    read once a request."""
    return memo_read(f"selfbooking.booking_offered:{patient.pk}", _booking_offered_rows(patient).exists)


def booking_menu_gate(user) -> QuerySet[Patient]:
    """The rows whose existence shows a patient the menu's Book entry: their own patient row, found through their
    account, while the Book page has something for them (`_booking_offered_q`). Asked in the menu's one count query
    (the menu is on every portal page); an account without a patient record has no row, so nothing to book."""
    return Patient.objects.filter(_booking_offered_q(OuterRef("pk")), user=user)


def booking_location(*, therapist, start: dt.datetime, moving: Appointment | None = None) -> Location:
    """Where a session booked online is: a moved one stays where it is; a new one is at the office the therapist
    works at at that time, as staff booking it would have it."""
    return moving.location if moving else therapist_office_at(therapist, start)


def _offered_offices(*, hours: list[WorkingHours], moving: Appointment | None) -> list[Location]:
    """Where free times are offered: a moved session's own place; for a new one, every open office the therapist
    keeps hours at (each time at the office whose hours hold it)."""
    return [moving.location] if moving else offices_kept(hours)


def _candidate_spans(*, hours, location: Location, week: dt.date, length: dt.timedelta, window: Window) -> list[tuple]:
    """Spans inside the working hours at `location`, in its zone."""
    hours = [h for h in hours if h.location_id == location.pk]
    spans = []
    for offset in range(7):
        day = week + dt.timedelta(days=offset)
        for block in (h for h in hours if h.weekday == day.weekday()):
            # Stepped in real time (UTC), so a block on the night the clocks change is measured as it is lived.
            start = clock.local_datetime(day, block.start_time, location.zone).astimezone(dt.UTC)
            block_end = clock.local_datetime(day, block.end_time, location.zone).astimezone(dt.UTC)
            while start + length <= block_end:
                if not window.refusal(start):
                    spans.append(clock.span_of(start, length))
                start += SLOT_STEP
    return spans


def bookable_slots(
    *,
    patient,
    therapist,
    service_type: ServiceType,
    week: dt.date,
    moving: Appointment | None = None,
    window: Window | None = None,
) -> list[Slot]:
    """The free slots of `therapist` in the week starting `week` that `patient` may book online: inside the
    therapist's working hours at the location the session would be at (in its zone) and the clinic's booking
    window, clear of time off and of the therapist's, the patient's (and, for a move, the session's room's) booked
    sessions. `moving` is the session being moved: its own time does not block the times around it, and is not
    offered itself. One query, and three for each office with times that week."""
    window = window or booking_window()
    length = dt.timedelta(minutes=service_type.duration_minutes)
    hours = therapist_working_hours(therapist=therapist)
    free = []
    for office in _offered_offices(hours=hours, moving=moving):
        checked = slots_check(
            therapist=therapist,
            patient_id=patient.pk,
            room_id=moving.room_id if moving else None,
            spans=_candidate_spans(hours=hours, location=office, week=week, length=length, window=window),
            location=office,
            exclude_ids=frozenset({moving.pk}) if moving else frozenset(),
        )
        free += [slot for slot in checked if slot.is_free and not (moving and slot.start == moving.start)]
    return sorted(free, key=lambda slot: slot.start)


@dataclass(frozen=True)
class OfferDay:
    """One day of the week page: its free times and the offices they are at, in order."""

    day: dt.date
    slots: list[Slot]

    @property
    def places(self) -> list[Location]:
        return list({slot.location.pk: slot.location for slot in self.slots}.values())


def slots_by_day(slots: list[Slot]) -> list[OfferDay]:
    """The slots grouped by their local date, in order: what the week page lists."""
    days: dict[dt.date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(slot.local_start.date(), []).append(slot)
    return [OfferDay(day, day_slots) for day, day_slots in sorted(days.items())]


def week_clock(days: list[OfferDay]) -> ZoneInfo | None:
    """The one clock every time of the week is on, which the week page names once ("Times are New York time"); None
    when its times are on more than one (each then names its own) or there are none."""
    zones = {slot.zone.key: slot.zone for day in days for slot in day.slots}
    return next(iter(zones.values())) if len(zones) == 1 else None


def places_named(days: list[OfferDay], *, moving: Appointment | None = None) -> bool:
    """Whether the week page names where each day's times are: when they are at more than one office, or at one
    that is not the clinic's main office (a patient has to know where to go). Never for a video session being
    moved: it stays by video, so there is no office to go to (its times still keep its office's clock)."""
    if moving is not None and moving.is_telehealth:
        return False
    places = {place.pk: place for day in days for place in day.places}
    return len(places) > 1 or any(not place.is_main for place in places.values())
