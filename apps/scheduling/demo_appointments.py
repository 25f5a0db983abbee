"""Demo sessions: weekly and every-other-week series for the demo patients over past and coming weeks.

Runs after the patients are seeded. Idempotent: a patient who already has a series with their therapist is left
alone. Past sessions are completed (a few no-shows and late cancellations); a few coming ones are cancelled.

Run again later (the next day, the next month), the demo catches up with the clock as a clinic that kept working
would: open-ended series are booked ahead to the horizon (what the beat job does), and every session that has ended
since is given its outcome as it ended, through the same services (`catch_up`).
"""

import datetime as dt

from django.utils import timezone

from apps.accounts.disciplines import Discipline
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import therapists_of
from apps.core import clock
from apps.notifications.outbox import messages_withdraw
from apps.patients.models import Patient

from . import demo, reminders, services, tasks
from .models import Appointment, AppointmentSeries, AppointmentStatus, Location, Room, ServiceType

SERIES_PATIENTS = 32
WEEKS_BACK = 6
ROOMS_BY_THERAPIST = ["Willow", "Cedar", "Birch", None]  # the fourth therapist works by video


def seed(out) -> None:
    front_desk = User.objects.filter(groups__name=Role.FRONT_DESK).order_by("email").first()
    therapists = list(therapists_of(discipline=Discipline.PSYCHOTHERAPY))
    services_by_code = {s.code: s for s in ServiceType.objects.all()}
    rooms = {r.name: r for r in Room.objects.all()}
    today = clock.local_now().date()
    week_start = today - dt.timedelta(days=today.weekday(), weeks=WEEKS_BACK)
    patients = Patient.objects.filter(primary_therapist__isnull=False).order_by("email")[:SERIES_PATIENTS]
    per_therapist: dict[int, int] = {}
    created = booked = 0
    for index, patient in enumerate(patients):
        therapist = patient.primary_therapist
        position = per_therapist.get(therapist.pk, 0)
        per_therapist[therapist.pk] = position + 1
        if AppointmentSeries.objects.filter(patient=patient, therapist=therapist).exists():
            continue
        t_index = therapists.index(therapist) if therapist in therapists else 0
        room_name = ROOMS_BY_THERAPIST[t_index % len(ROOMS_BY_THERAPIST)]
        telehealth = room_name is None or index % 5 == 0
        ends = {0: {}, 1: {"occurrence_count": 16}, 2: {"end_date": today + dt.timedelta(weeks=8)}}[index % 3]
        result = services.series_book(
            actor=front_desk,
            therapist=therapist,
            patient=patient,
            service_type=services_by_code["90837" if index % 2 else "90834"],
            first_date=week_start + dt.timedelta(days=position % 4),
            local_start_time=dt.time(10 + (position // 4) * 3 + t_index % 2, 0),
            interval_weeks=2 if index % 4 == 3 else 1,
            room=None if telehealth else rooms.get(room_name),
            is_telehealth=telehealth,
            skip_conflicts=True,
            allow_past=True,  # the demo's history: weeks of sessions already held
            **ends,
        )
        created += 1
        booked += len(result.booked)
        _play_out(result.booked, index, actor=front_desk)
    west_created, west_booked = _seed_west(front_desk, services_by_code, week_start)
    out.write(
        f"Appointment series: {created + west_created} new ({west_created} at the West office), "
        f"{booked + west_booked} sessions booked"
    )
    extended, played = catch_up(actor=front_desk)
    if not created + west_created:
        out.write(
            f"Brought up to the clock: {played} sessions that ended since the last run given their outcome, "
            f"{extended} booked ahead"
        )


WEST_TIMES = [dt.time(10, 0), dt.time(11, 30), dt.time(14, 0)]  # Pacific wall-clock time, kept across DST


def _seed_west(front_desk, services_by_code, week_start: dt.date) -> tuple[int, int]:
    """A few weekly Friday series at the West office, booked in its zone, for the therapist who works there."""
    therapists = list(User.objects.filter(groups__name=Role.THERAPIST).order_by("email"))
    therapist = demo.west_therapist(therapists)
    if therapist is None:
        return 0, 0
    west = Location.objects.get(name=demo.WEST_OFFICE)
    rooms = list(Room.objects.filter(location=west).order_by("name"))
    patients = Patient.objects.filter(primary_therapist=therapist).order_by("email")[: len(WEST_TIMES)]
    created = booked = 0
    for index, (patient, at) in enumerate(zip(patients, WEST_TIMES, strict=False)):
        if AppointmentSeries.objects.filter(patient=patient, therapist=therapist, location=west).exists():
            continue
        result = services.series_book(
            actor=front_desk,
            therapist=therapist,
            patient=patient,
            service_type=services_by_code["90834"],
            first_date=week_start + dt.timedelta(days=demo.WEST_DAY),
            local_start_time=at,
            occurrence_count=12,
            room=rooms[index % len(rooms)],
            skip_conflicts=True,
            allow_past=True,  # the demo's history: weeks of sessions already held
        )
        created += 1
        booked += len(result.booked)
        _play_out(result.booked, index, actor=front_desk)
    return created, booked


def _play_out(appointments, index: int, *, actor) -> None:
    """Give past sessions an outcome and cancel one coming session now and then, through the services.

    Each step works on the copy the service returns: the service locks and changes a fresh row, so the
    in-memory appointment the series booking handed back is stale once a service has acted on it.
    """
    now = clock.now()
    played = []
    for number, appointment in enumerate(appointments):
        if appointment.end < now:
            appointment = _outcome(appointment, index + number, actor=actor)
        played.append(appointment)
    upcoming = [a for a in played if a.start > now + dt.timedelta(days=2)]
    if index % 5 == 2 and len(upcoming) > 1:
        services.appointment_cancel(appointment=upcoming[1], actor=actor, reason="Family holiday")
    for appointment in played:
        _check_in_if_under_way(appointment, now, actor=actor)


def _check_in_if_under_way(appointment, now: dt.datetime, *, actor) -> None:
    """A session under way right now has its patient in the building (or on the call); check-in is a same-day step
    at the session's location."""
    under_way = appointment.start <= now < appointment.end
    same_day = appointment.local_start.date() == timezone.localtime(now, appointment.zone).date()
    if under_way and same_day and appointment.status == AppointmentStatus.BOOKED:
        services.appointment_check_in(appointment=appointment, actor=actor)


def catch_up(*, actor) -> tuple[int, int]:
    """Bring the demo up to the clock after it was seeded some time ago: open-ended series booked ahead to the
    horizon by the beat job's own task, every session that has ended since given the outcome the first run gives its
    past sessions (chosen by the session, so a run again at the same instant finds nothing left to do). A session
    under way is checked in by the seed's last step (`demo_under_way`), once every app has booked its sessions.
    Returns the sessions booked ahead and the sessions given an outcome.

    What an earlier run queued about a session that has begun since (its reminders, the notice of its cancellation)
    would have gone out before it; none may go out after it, so what is still queued is withdrawn."""
    extended = tasks.series_extend_open_ended()
    now = clock.now()
    ended = (
        Appointment.objects.filter(
            # Ended before now, as the first run counts them (`_play_out`): one ending this instant is still left
            # as it was, so a run again at the same instant changes nothing.
            patient__isnull=False,
            status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN],
            end__lt=now,
        )
        .select_related("service_type")
        .order_by("start", "pk")
    )
    played = 0
    for appointment in ended:
        if appointment.status == AppointmentStatus.CHECKED_IN or appointment.service_type.discipline != (
            Discipline.PSYCHOTHERAPY
        ):
            # Checked in, the patient came; and the demo's massage clients never miss one.
            with clock.recorded_at(appointment.end):
                services.appointment_complete(appointment=appointment, actor=appointment.therapist)
        else:
            _outcome(appointment, appointment.pk, actor=actor)
        played += 1
    messages_withdraw(
        subjects=list(Appointment.objects.filter(patient__isnull=False, start__lte=now).only("pk")),
        purposes=(*reminders.REMINDER_PURPOSES, reminders.CANCELLED_TEMPLATE, reminders.MOVED_TEMPLATE),
    )
    return extended, played


def _outcome(appointment, turn: int, *, actor):
    """The session's outcome, recorded as it ended (as the clinic would have recorded it): its charge is posted on
    the session's day, so statements, balances and the aging report tell the same history as the sessions."""
    with clock.recorded_at(appointment.end):
        return _outcome_recorded(appointment, turn, actor=actor)


def _outcome_recorded(appointment, turn: int, *, actor):
    if turn % 11 == 5:
        return services.appointment_cancel(appointment=appointment, actor=actor, reason="Called in sick")
    if turn % 9 == 4:
        return services.appointment_no_show(appointment=appointment, actor=actor)
    return services.appointment_complete(appointment=appointment, actor=appointment.therapist)


def sessions_under_way_check_in(*, actor) -> None:
    """Check in every session under way now, whichever part of the demo booked it: run last, on the first run and
    on every run again alike, so a run again at the same instant finds nothing left to do."""
    now = clock.now()
    for appointment in Appointment.objects.filter(
        patient__isnull=False, status=AppointmentStatus.BOOKED, start__lte=now, end__gt=now
    ).select_related("location"):
        _check_in_if_under_way(appointment, now, actor=actor)
