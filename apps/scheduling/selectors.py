"""Reads for scheduling, already scoped and shaped."""

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    Func,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.api_lookups import id_or_none
from apps.core.request_memo import memo_read, memo_set
from apps.notifications.selectors import with_confirmation

from . import extensions
from .models import (
    BLOCKING_STATUSES,
    TIME_OFF_REACH,
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    CalendarFeed,
    Location,
    LocationHours,
    SeriesStatus,
    ServiceType,
    TimeOff,
    WorkingHours,
)

UPCOMING_STATUSES = [AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN]
POLICY_FEE_STATUSES = [AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW]
APPOINTMENT_RELATED = ("therapist", "therapist__therapist_profile", "patient", "room", "service_type", "location")


def current_patient_ids(*, therapist, since: dt.date, exclude_series_id: int | None = None) -> set[int]:
    """Ids of the therapist's current patients: an active series with them, or a session with them (not
    cancelled) starting on or after `since`, past or booked. `exclude_series_id` leaves out a series being
    extended and its sessions still to come, so that the extension itself does not make its patient current."""
    sessions = Appointment.objects.filter(
        therapist=therapist, start__gte=clock.local_datetime(since, dt.time.min), patient__isnull=False
    ).exclude(status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED])
    series = AppointmentSeries.objects.filter(therapist=therapist, status=SeriesStatus.ACTIVE)
    if exclude_series_id is not None:
        sessions = sessions.exclude(series_id=exclude_series_id, start__gt=clock.now())
        series = series.exclude(pk=exclude_series_id)
    return set(sessions.values_list("patient_id", flat=True)) | set(series.values_list("patient_id", flat=True))


def appointments_visible_to(*, user) -> QuerySet[Appointment]:
    """Front desk, admins and billing see every session; a therapist their own; a patient theirs."""
    qs = Appointment.objects.select_related(*APPOINTMENT_RELATED)
    if not user.is_authenticated:
        return qs.none()
    if user.has_perm("scheduling.view_all_schedules"):
        return qs
    if user.has_role(Role.THERAPIST):
        return qs.filter(therapist=user)
    if user.has_role(Role.PATIENT):
        return qs.filter(patient__user=user)
    return qs.none()


def appointment_get(*, user, appointment_id) -> Appointment | None:
    """The appointment if the user may see it; None for missing and unseen alike."""
    return appointments_visible_to(user=user).filter(pk=appointment_id).first()


def appointment_open(*, user, appointment_id) -> Appointment | None:
    """Open one session's page or record: who saw whose session is access-logged, denied attempts too.

    Missing and unseen answer the same None, so the answer leaks nothing.
    """
    appointment = appointment_get(user=user, appointment_id=appointment_id)
    if appointment is None:
        other = Appointment.objects.filter(pk=appointment_id).only("pk", "patient_id").first()
        if other is not None:
            access_log_write(
                actor=user, action="appointment_view", subject=other, patient_id=other.patient_id, allowed=False
            )
        return None
    access_log_write(actor=user, action="appointment_view", subject=appointment, patient_id=appointment.patient_id)
    return appointment


def appointment_for_signed_link(*, appointment_id: int, start: dt.datetime) -> Appointment | None:
    """The session a signed reminder link names, while it still starts when the link said.

    The link is the patient's authority, so there is no user to check; a session moved since the
    reminder went out answers None, as a deleted one does.
    """
    appointment = (
        Appointment.objects.select_related("therapist", "patient", "patient__user", "room")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None or appointment.start.timestamp() != start.timestamp():
        return None
    return appointment


def series_visible_to(*, user) -> QuerySet[AppointmentSeries]:
    qs = AppointmentSeries.objects.select_related("therapist", "patient", "service_type", "room")
    if user.has_perm("scheduling.view_all_schedules"):
        return qs
    if user.has_role(Role.THERAPIST):
        return qs.filter(therapist=user)
    return qs.none()


CALENDAR_FIELDS = (
    "id",
    "start_wall",
    "end_wall",
    "status",
    "is_telehealth",
    "therapist_id",
    "therapist__first_name",
    "therapist__last_name",
    "patient__preferred_name",
    "patient__legal_first_name",
    "patient__legal_last_name",
    "room__name",
    "location__name",
    "service_type__name",
    "confirmed_at",
    "confirmed_via",
)


def _wall_clock_text(field: str, zone: ZoneInfo) -> Func:
    """The moment in `field` as wall-clock text in `zone` without an offset (2026-11-30T10:00:00), written by
    Postgres: parsing hundreds of timestamps and converting each in Python took longer than the query."""
    local = Func(Value(zone.key), F(field), function="timezone")
    return Func(local, Value('YYYY-MM-DD"T"HH24:MI:SS'), function="to_char", output_field=CharField())


def overlapping(sessions: QuerySet[Appointment], *, start: dt.datetime, end: dt.datetime) -> QuerySet[Appointment]:
    """`sessions` whose span overlaps [start, end), written as the span's GiST index (`appointment_span`) and the
    no-overlap exclusion constraints index it, so the query walks an index instead of every session that started
    before `end` (years of them), cancelled ones included."""
    span = Func(F("start"), F("end"), Value("[)"), function="TSTZRANGE", output_field=DateTimeRangeField())
    return sessions.alias(span=span).filter(span__overlap=DateTimeTZRange(start, end, "[)"))


def calendar_appointments(
    *,
    user,
    start: dt.datetime,
    end: dt.datetime,
    zone: ZoneInfo,
    therapist_ids: list[int] | None = None,
    room_ids: list[int] | None = None,
    location_id: int | None = None,
    include_cancelled: bool = False,
) -> list[dict]:
    """Sessions overlapping [start, end) for the calendar, in one query whatever their number.

    Plain rows with the CALENDAR_FIELDS a calendar event shows: a busy week is hundreds of sessions, and building
    model instances for them (six per row with the joins) was most of the request's time. `start_wall` and
    `end_wall` are the session's times on the wall clock of `zone`; `confirmed_at` and `confirmed_via` say whether,
    when and how the patient confirmed the session (notifications.with_confirmation).
    """
    qs = with_confirmation(overlapping(appointments_visible_to(user=user), start=start, end=end))
    if not include_cancelled:
        qs = qs.filter(status__in=BLOCKING_STATUSES)
    if therapist_ids:
        qs = qs.filter(therapist_id__in=therapist_ids)
    if room_ids:
        qs = qs.filter(room_id__in=room_ids)
    if location_id is not None:
        qs = qs.filter(location_id=location_id)
    qs = qs.annotate(start_wall=_wall_clock_text("start", zone), end_wall=_wall_clock_text("end", zone))
    return list(qs.order_by("start", "pk").values(*CALENDAR_FIELDS))


def therapists_for_calendar(*, user) -> list[User]:
    qs = User.objects.filter(groups__name=Role.THERAPIST, is_active=True).select_related("therapist_profile")
    if not user.has_perm("scheduling.view_all_schedules"):
        qs = qs.filter(pk=user.pk)
    return list(qs.order_by("last_name", "first_name"))


@dataclass(frozen=True)
class Workday:
    """The day My day shows and the office the therapist's working hours put them in that weekday (None when they
    keep no hours that day, or keep them at two offices); the day runs on that office's clock."""

    day: dt.date
    office: Location | None

    @property
    def zone(self) -> ZoneInfo:
        return self.office.zone if self.office is not None else clock.clinic_tz()

    @property
    def office_elsewhere(self) -> Location | None:
        """The office, when its clock is not the clinic's (the page says so)."""
        return self.office if self.zone.key != settings.TIME_ZONE else None


def _offices_by_weekday(therapist) -> dict[int, Location | None]:
    """The office each weekday's working hours are kept at, in one read; None for a weekday kept at two offices."""
    kept: dict[int, dict[int, Location]] = {}
    for hours in WorkingHours.objects.filter(therapist=therapist).select_related("location"):
        kept.setdefault(hours.weekday, {})[hours.location_id] = hours.location
    return {weekday: next(iter(offices.values())) if len(offices) == 1 else None for weekday, offices in kept.items()}


def therapist_workday(*, therapist, day: dt.date | None = None) -> Workday:
    """`day`, or today where the therapist works, with the office they work at that day.

    Late on a Pacific evening it is still Monday in Pasadena while the clinic's zone has turned to Tuesday: a day
    worked at an office where that day has not ended yet is today, whatever office the clinic's date has."""
    offices = _offices_by_weekday(therapist)

    def workday(on: dt.date) -> Workday:
        return Workday(on, offices.get(on.weekday()))

    if day is not None:
        return workday(day)
    now = clock.now()
    clinic_today = clock.in_zone(now, clock.clinic_tz()).date()
    for candidate in (workday(clinic_today - dt.timedelta(days=1)), workday(clinic_today)):
        if clock.in_zone(now, candidate.zone).date() == candidate.day:
            return candidate
    # The clinic's date is worked at an office whose clock has already turned to the next day: that day, there.
    return workday(clock.in_zone(now, candidate.zone).date())


def therapist_day(*, therapist, day: dt.date) -> list[Appointment]:
    """A therapist's sessions starting on one day, each on its own office's clock (a 22:00 session in Pasadena is on
    its Monday though the clinic's zone has turned the day; one running past midnight is the day's it starts on, not
    the next one's too), cancelled ones included so the day reads true."""
    qs = Appointment.objects.select_related(*APPOINTMENT_RELATED).filter(therapist=therapist)
    return list(starting_on_local_days(qs, first=day, days=1, location=None).order_by("start", "pk"))


def therapist_day_rows(*, therapist, day: dt.date) -> list[tuple[Appointment, object]]:
    """My day's rows: each of the therapist's sessions that day with the note link it shows them (or None)."""
    appointments = therapist_day(therapist=therapist, day=day)
    note_links = extensions.note_links(user=therapist, appointments=appointments)
    return [(a, note_links.get(a.pk)) for a in appointments]


# A day's arrivals: everyone expected or seen that day; cancelled sessions are nobody's arrival.
ARRIVAL_STATUSES = [
    AppointmentStatus.BOOKED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
]


def local_days_span(first: dt.date, days: int = 1, zone=None) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of `days` local days from `first` in `zone` (the clinic's by default), as aware instants (a
    DST day is 23 or 25 hours long)."""
    return clock.local_datetime(first, dt.time(0, 0), zone), clock.local_datetime(
        first + dt.timedelta(days=days), dt.time(0, 0), zone
    )


def starting_on_local_days(qs: QuerySet, *, first: dt.date, days: int, location: Location | None) -> QuerySet:
    """`qs` narrowed to sessions starting on `days` local days from `first`: at one location, its days in its zone;
    across all of them, each session's days at its own office (an 18:30 session in Honolulu is that day's, though
    it is past midnight in New York). The day or so either side every zone's day lies in bounds the index scan."""
    if location is not None:
        start, end = local_days_span(first, days, zone=location.zone)
        return qs.filter(location=location, start__gte=start, start__lt=end)
    start, end = local_days_span(first - dt.timedelta(days=1), days + 2)
    local_day = Func(F("location__time_zone"), F("start"), function="timezone", output_field=DateTimeField())
    return (
        qs.filter(start__gte=start, start__lt=end)
        .alias(local_day=Cast(local_day, DateField()))
        .filter(local_day__gte=first, local_day__lt=first + dt.timedelta(days=days))
    )


def arrivals_on(*, user, day: dt.date, location: Location | None = None) -> QuerySet[Appointment]:
    """Individual sessions starting on a local day, not cancelled, in time order: who the front desk expects. At
    one location, its day in its zone; across all, each session's day at its own office."""
    qs = appointments_visible_to(user=user).filter(patient__isnull=False, status__in=ARRIVAL_STATUSES)
    return starting_on_local_days(qs, first=day, days=1, location=location).order_by("start", "pk")


def booked_sessions_starting(
    *, user, first_day: dt.date, days: int, location: Location | None = None
) -> QuerySet[Appointment]:
    """Booked individual sessions starting on `days` local days from `first_day`, in time order (at one location,
    its days in its zone; across all, each session's days at its own office)."""
    qs = appointments_visible_to(user=user).filter(patient__isnull=False, status=AppointmentStatus.BOOKED)
    return starting_on_local_days(qs, first=first_day, days=days, location=location).order_by("start", "pk")


def discharge_blocker(*, patient) -> str:
    """Sessions still booked stand in the way of a discharge (patients.extensions): their reminders would go on and
    a session nobody came to would be charged as a no-show."""
    ahead = Appointment.objects.filter(patient=patient, end__gt=clock.now(), status__in=UPCOMING_STATUSES).count()
    if not ahead:
        return ""
    sessions = "session" if ahead == 1 else "sessions"
    return (
        f"{patient.display_name} has {ahead} booked {sessions} to come: cancel {'it' if ahead == 1 else 'them'} before "
        "discharging (a session's Cancel can take this and all later sessions of its series)."
    )


def patient_sessions_coming(*, patient) -> QuerySet[Appointment]:
    """The patient's sessions not over yet and still on (booked or arrived): what "upcoming" means for them."""
    return Appointment.objects.filter(patient=patient, end__gt=clock.now(), status__in=UPCOMING_STATUSES)


# The patient is known: joining their row again only lengthens the query's planning.
UPCOMING_RELATED = (*(related for related in APPOINTMENT_RELATED if related != "patient"), "series")
# What the next session is shown with wherever it is named: its therapist, office and room on the portal home's card,
# its time on its office's clock on the chart and in the care ladder's next step. Each table joined is columns more
# to build and compile into the statement on every page that names it.
NEXT_SESSION_RELATED = ("therapist", "room", "location")


def patient_upcoming(*, patient, limit: int | None = None, related=UPCOMING_RELATED) -> list[Appointment]:
    qs = patient_sessions_coming(patient=patient).select_related(*related).order_by("start")
    sessions = list(qs[:limit] if limit else qs)
    for session in sessions:
        session.patient = patient
    return sessions


def patient_upcoming_visible(*, user, patient, limit: int) -> list[Appointment]:
    """A patient's coming sessions as a staff member may see them (a therapist: only their own). The patient's next
    session, whoever holds it, is read with them and kept as this request's `patient_next_session` (the care
    ladder's next step names it): for someone who sees every session it is the first of them; for anyone else it
    comes in the same query, marked as not theirs to list unless it is."""
    if user.has_perm("scheduling.view_all_schedules"):
        sessions = patient_upcoming(patient=patient, limit=limit)
        memo_set(_next_session_key(patient), sessions[:1])
        return sessions
    coming = patient_sessions_coming(patient=patient)
    visible = appointments_visible_to(user=user)
    following = coming.order_by("start", "pk").values("pk")[:1]
    # The reader's own coming sessions and the patient's next one, in order: the next one is the first row, and at
    # most `limit` of the reader's own follow it (one more when the next one is theirs). Only what the card shows of
    # each is joined (its therapist, room and series; its clock is its location's, kept in-process): the patient is
    # known, and every other join only lengthens the query's planning.
    rows = list(
        coming.annotate(listed=Exists(visible.filter(pk=OuterRef("pk"))))
        .filter(Q(listed=True) | Q(pk=Subquery(following)))
        .select_related("therapist", "room", "series")
        .order_by("start", "pk")[: limit + 1]
    )
    for session in rows:
        session.patient = patient
    memo_set(_next_session_key(patient), rows[:1])
    return [session for session in rows if session.listed][:limit]


def _next_session_key(patient) -> str:
    return f"scheduling.next_session:{patient.pk}"


def patient_next_session(*, patient) -> Appointment | None:
    """The patient's next session, read once per request (the portal home's card, the care ladder's next step and
    the staff's list of coming sessions all show it)."""
    upcoming = memo_read(
        _next_session_key(patient),
        lambda: patient_upcoming(patient=patient, limit=1, related=NEXT_SESSION_RELATED),
    )
    return upcoming[0] if upcoming else None


def policy_fee_appointments(*, start: dt.datetime, end: dt.datetime) -> QuerySet[Appointment]:
    """Late cancellations and no-shows in a period: what billing charges the policy fee for."""
    return (
        Appointment.objects.select_related("patient", "service_type")
        .filter(start__gte=start, start__lt=end, status__in=POLICY_FEE_STATUSES)
        .order_by("start")
    )


def open_ended_series_ids() -> list[int]:
    return list(
        AppointmentSeries.objects.filter(
            status=SeriesStatus.ACTIVE, occurrence_count__isnull=True, end_date__isnull=True
        ).values_list("pk", flat=True)
    )


def series_ended_since(*, since: dt.datetime, now: dt.datetime | None = None) -> QuerySet[AppointmentSeries]:
    """Series that have run their course (count or end date reached, or ended early) with their last session
    (not counting cancelled ones) ending between `since` and now, annotated with `last_end`: their weekly time is
    free from then on.

    Left out: open-ended series (still growing), cancelled ones, and any whose therapist has a later series at the
    same weekday and time (a renewal, or someone who already took the time).
    """
    now = now or clock.now()
    taken_later = AppointmentSeries.objects.filter(
        therapist_id=OuterRef("therapist_id"),
        weekday=OuterRef("weekday"),
        local_start_time=OuterRef("local_start_time"),
        first_date__gt=OuterRef("first_date"),
    ).exclude(status=SeriesStatus.CANCELLED)
    return (
        AppointmentSeries.objects.filter(
            Q(status=SeriesStatus.ENDED)
            | Q(status=SeriesStatus.ACTIVE) & (Q(occurrence_count__isnull=False) | Q(end_date__isnull=False))
        )
        .exclude(Exists(taken_later))
        .annotate(last_end=Max("appointments__end", filter=Q(appointments__status__in=BLOCKING_STATUSES)))
        .filter(last_end__gte=since, last_end__lt=now)
        .select_related("therapist", "service_type", "room")
        .order_by("last_end", "pk")
    )


def sessions_in_time_off(*, time_off: TimeOff) -> list[Appointment]:
    """A therapist's booked sessions the time off covers, each on its own location's clock (a whole day off is
    that day where the session is): what the front desk is asked to move."""
    candidates = (
        Appointment.objects.filter(
            therapist_id=time_off.therapist_id,
            start__lt=time_off.end + TIME_OFF_REACH,
            end__gt=time_off.start - TIME_OFF_REACH,
            status=AppointmentStatus.BOOKED,
        )
        .select_related("location")
        .order_by("start")
    )
    return [a for a in candidates if time_off.covers(a.start, a.end, a.zone)]


def working_hours_visible_to(*, user) -> QuerySet[WorkingHours]:
    qs = WorkingHours.objects.select_related("therapist")
    return qs if user.has_perm("scheduling.view_all_schedules") else qs.filter(therapist=user)


def time_off_visible_to(*, user) -> QuerySet[TimeOff]:
    qs = TimeOff.objects.select_related("therapist")
    return qs if user.has_perm("scheduling.view_all_schedules") else qs.filter(therapist=user)


def calendar_working_hours(*, user, location_id: int | None = None) -> list[WorkingHours]:
    """Working hours of the active therapists on the user's calendar (at one location, when given), for shading
    the time nobody works."""
    qs = working_hours_visible_to(user=user).filter(therapist__is_active=True)
    if location_id is not None:
        qs = qs.filter(location_id=location_id)
    return list(qs.order_by("pk"))


def locations_active() -> list[Location]:
    """The open locations, the main one first: what pickers offer."""
    return list(Location.objects.filter(is_active=True))


def offices_by_zone() -> dict[str, list[Location]]:
    """The open offices by the zone each keeps, the main office's zone first: the clocks time off can be typed
    on."""
    offices: dict[str, list[Location]] = {}
    for office in locations_active():
        offices.setdefault(office.time_zone, []).append(office)
    return offices


def therapist_zone(therapist, *, hours: list[WorkingHours]) -> str:
    """The zone of the office a therapist works at (where most of their working hours are, `therapist_location`),
    or the clinic's when they keep no hours at an open office. `hours` are their working hours."""
    if not any(h.location.is_active for h in hours):
        return settings.TIME_ZONE
    return therapist_location(therapist, hours=hours).time_zone


def open_days_after(day: dt.date, count: int, *, location: Location | None = None) -> list[dt.date]:
    """The next `count` days after `day` on which the clinic's open locations (or `location`) keep opening hours:
    on a Friday, Monday and Tuesday, not the weekend. The next `count` calendar days when no hours are kept."""
    hours = LocationHours.objects.filter(location__is_active=True) if location is None else location.hours.all()
    weekdays = set(hours.values_list("weekday", flat=True).distinct())
    days: list[dt.date] = []
    candidate = day
    while len(days) < count:
        candidate += dt.timedelta(days=1)
        if not weekdays or candidate.weekday() in weekdays:
            days.append(candidate)
    return days


def location_chosen(value) -> Location | None:
    """The open location a `?location=` parameter names, or None (no filter) for anything else."""
    location_id = id_or_none(value)
    return Location.objects.filter(pk=location_id, is_active=True).first() if location_id is not None else None


def active_therapist(*, therapist_id) -> User | None:
    return active_therapists().filter(pk=therapist_id).first()


def therapists_with_availability(*, since: dt.datetime) -> list[User]:
    """Every active therapist with their working hours (each with its office) and the time off that has not ended
    by `since` (as `time_off_ahead`): three queries however many therapists."""
    ahead = TimeOff.objects.filter(end__gt=since).order_by("start")
    return list(
        User.objects.filter(groups__name=Role.THERAPIST, is_active=True)
        .select_related("therapist_profile")
        .prefetch_related(
            Prefetch(
                "working_hours",
                queryset=WorkingHours.objects.select_related("location").order_by("weekday", "start_time"),
            ),
            Prefetch("time_off", queryset=ahead, to_attr="time_off_ahead"),
        )
        .order_by("last_name", "first_name", "pk")
    )


def therapist_location(therapist, *, hours: list[WorkingHours] | None = None) -> Location:
    """The office a therapist works from: where most of their weekly hours are (the main location first on a tie),
    else the main location. A telehealth session is timed in its zone. `hours` are the therapist's working hours
    when the caller has read them already."""
    hours = therapist_working_hours(therapist=therapist) if hours is None else hours
    blocks = Counter(h.location for h in hours if h.location.is_active)
    if not blocks:
        return Location.main()
    return min(blocks, key=lambda place: (-blocks[place], not place.is_main, place.name))


def therapist_office_at(therapist, start: dt.datetime, *, hours: list[WorkingHours] | None = None) -> Location:
    """The office a session starting at `start` is at when its booking names no place (telehealth, or no room
    yet): the office whose working hours hold that moment on its own clock (hours never overlap in real time, so
    at most one does); else the one office where the therapist keeps that weekday's hours; else their office
    (`therapist_location`). A therapist at the West office on Fridays has a Friday session booked there."""
    hours = therapist_working_hours(therapist=therapist) if hours is None else hours
    return _office_by_hours(hours, lambda office: clock.in_zone(start, office.zone)) or therapist_location(
        therapist, hours=hours
    )


def therapist_office_on(therapist, day: dt.date, time: dt.time, *, hours: list[WorkingHours] | None = None) -> Location:
    """The office whose clock a typed date and time are read on when the booking names no place, by the rule of
    `therapist_office_at`: a form's date and time become a moment only once the office is known."""
    hours = therapist_working_hours(therapist=therapist) if hours is None else hours
    return _office_by_hours(hours, lambda office: dt.datetime.combine(day, time)) or therapist_location(
        therapist, hours=hours
    )


def booking_office(*, therapist, room, start: dt.datetime) -> Location:
    """Where a session booked without naming a place is, and so whose clock times it: its room's office; else
    (telehealth, or no room yet) the office the therapist works at at `start` (a naive `start` is a wall-clock time,
    as a weekly time is kept: the office is the one whose clock reads it so)."""
    if room is not None:
        return room.location
    if timezone.is_naive(start):
        return therapist_office_on(therapist, start.date(), start.time())
    return therapist_office_at(therapist, start)


def offices_kept(hours: list[WorkingHours]) -> list[Location]:
    """The open offices a therapist's working hours are kept at, the main one first, then by name."""
    offices = {h.location_id: h.location for h in hours if h.location.is_active}
    return sorted(offices.values(), key=lambda place: (not place.is_main, place.name))


def _office_by_hours(hours: list[WorkingHours], local_at) -> Location | None:
    """`local_at(office)` is the wall-clock time in question at that office."""
    that_day = []
    for office in offices_kept(hours):
        there = local_at(office)
        blocks = [h for h in hours if h.location_id == office.pk and h.weekday == there.weekday()]
        if any(b.start_time <= there.time() < b.end_time for b in blocks):
            return office
        if blocks:
            that_day.append(office)
    return that_day[0] if len(that_day) == 1 else None


def therapist_working_hours(*, therapist) -> list[WorkingHours]:
    return list(
        WorkingHours.objects.filter(therapist=therapist)
        .select_related("location")
        .order_by("location__name", "weekday", "start_time")
    )


def therapist_time_off_ahead(*, therapist, since: dt.datetime) -> list[TimeOff]:
    return list(TimeOff.objects.filter(therapist=therapist, end__gt=since).order_by("start"))


def individual_service_types():
    """The services in use that one patient is booked for (a group meeting has no single patient: members join
    through its program)."""
    return ServiceType.objects.filter(is_active=True, is_group=False).order_by("code")


def active_therapists():
    """Therapists in practice, with their profiles (their discipline, licence and NPI)."""
    return (
        User.objects.filter(groups__name=Role.THERAPIST, is_active=True)
        .select_related("therapist_profile")
        .order_by("last_name", "first_name")
    )


def service_type_lasting(*, minutes: int) -> ServiceType | None:
    """The individual service a span of `minutes` chosen on the calendar stands for, if one lasts exactly that."""
    return ServiceType.objects.filter(is_active=True, is_group=False, duration_minutes=minutes).order_by("code").first()


def calendar_feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_by_token(*, token: str) -> CalendarFeed | None:
    """The live feed the token opens, while its owner is an active therapist: a feed is revoked when they leave or
    lose the role through the staff page, and this also holds when the role is taken away by any other path (the
    Django admin's groups), so their schedule stops reaching a calendar the clinic no longer vouches for."""
    return (
        CalendarFeed.objects.select_related("therapist")
        .filter(
            token_hash=calendar_feed_token_hash(token),
            revoked_at__isnull=True,
            therapist__in=active_therapists(),
        )
        .first()
    )


def calendar_feed_appointments(*, therapist, since: dt.datetime) -> list[Appointment]:
    return list(
        Appointment.objects.select_related("patient", "room", "service_type", "location")
        .filter(therapist=therapist, end__gte=since, status__in=BLOCKING_STATUSES)
        .order_by("start")
    )


def calendar_feed_live(*, therapist) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(therapist=therapist, revoked_at__isnull=True).first()


def service_types_by_id(*, ids) -> dict[int, ServiceType]:
    return ServiceType.objects.in_bulk(list(ids))


# A session that is held, or will be: cancelled and missed sessions started nothing.
STARTED_STATUSES = [AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED]


def patient_sessions_started(*, patient, service_codes) -> QuerySet[Appointment]:
    """The patient's booked, arrived or completed sessions of any of the services (by CPT code)."""
    return Appointment.objects.filter(
        patient=patient, service_type__code__in=list(service_codes), status__in=STARTED_STATUSES
    )


def patient_has_sessions(*, patient, service_codes) -> bool:
    return patient_sessions_started(patient=patient, service_codes=service_codes).exists()
