"""What the measured requests need, prepared through the app itself before the clock starts: signed-in
sessions, free slots for new series, draft notes to sign, due reminders and a month without statements.

Needs Django set up against the benchmark database."""

import datetime as dt
import secrets
from itertools import cycle

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.db.models import Count, Max
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core import clock
from apps.notes import services as note_services
from apps.notes.models import NoteStatus, NoteTemplate, SessionNote
from apps.notifications.links import appointment_link_url
from apps.notifications.models import Channel, Message
from apps.patients.models import Patient
from apps.scheduling.models import Appointment, AppointmentStatus, Room, ServiceType
from apps.scheduling.reminders import REMINDER_TEMPLATE
from bench.large_clinic.copy import ids_reserve, rows_copy
from bench.large_clinic.seed import EMAIL_DOMAIN, LANE_HOURS, LANE_WEEKDAYS, LAST, marker_email

DRAFT_CONTENT = {
    "presenting_symptoms": "Neck pain after a week of deadlines.",
    "symptom_locations": ["neck_shoulders"],
    "pain_now": 3,
    "pain_worst": 6,
    "change_since_last": "better",
    "emotional_themes": ["anger_rage"],
    "personality_pressures": ["perfectionism"],
    "interventions": ["interpretation"],
    "patient_response": "Saw the link between the deadline and the flare.",
    "plan_homework": "Journal on the anger at work.",
    "suicidal_ideation": "none",
}


class Session:
    """A signed-in browser: the session cookie, a CSRF cookie and the matching header."""

    def __init__(self, user: User):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if user.is_clinic_staff:
            # Staff have passed the TOTP challenge: the same session key django-otp sets after a valid code.
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            store[DEVICE_ID_SESSION_KEY] = device.persistent_id
        store.create()
        self.user = user
        self.key = store.session_key
        self.csrf = secrets.token_urlsafe(24)[:32].replace("-", "a").replace("_", "b")

    def headers(self, **extra) -> dict:
        cookies = f"{settings.SESSION_COOKIE_NAME}={self.key}; {settings.CSRF_COOKIE_NAME}={self.csrf}"
        return {"Cookie": cookies, "X-CSRFToken": self.csrf, **extra}


def front_desk() -> User:
    return User.objects.get(email=marker_email())


def billing_user() -> User:
    return User.objects.get(email=f"billing@{EMAIL_DOMAIN}")


def therapists() -> list[User]:
    return list(User.objects.filter(groups__name=Role.THERAPIST).order_by("email"))


def calendar_weeks(count: int = 8) -> list[tuple[str, str]]:
    """This week and the weeks around it, as the front desk pages through them (clinic-local ISO bounds)."""
    today = clock.local_now().date()
    monday = today - dt.timedelta(days=today.weekday())
    weeks = []
    for offset in range(-count // 2, count - count // 2):
        start = clock.local_datetime(monday + dt.timedelta(weeks=offset), dt.time(0))
        weeks.append((start.isoformat(), (start + dt.timedelta(days=7)).isoformat()))
    return weeks


def search_terms() -> list[str]:
    """Surnames the way the front desk types them: lower case, often a prefix."""
    return [name.lower() if i % 2 else name[:4].lower() for i, name in enumerate(LAST[:40])]


def chart_targets(count: int = 40) -> list[tuple[int, int]]:
    """(therapist id, patient id) for patients in care now with the longest histories."""
    since = clock.now() - dt.timedelta(days=28)
    rows = (
        Patient.objects.filter(appointments__start__gte=since, appointments__patient__isnull=False)
        .annotate(seen=Count("appointments", distinct=True))
        .values_list("primary_therapist_id", "pk")
        .order_by("-pk")[: count * 3]
    )
    rows = list(rows)
    return sorted(rows, key=lambda r: -Appointment.objects.filter(patient_id=r[1]).count())[:count] if rows else []


def portal_patients(count: int = 40) -> list[User]:
    """Patients with a portal account and sessions booked ahead."""
    return list(
        User.objects.filter(patient__appointments__start__gt=clock.now(), patient__appointments__status="booked")
        .distinct()
        .order_by("pk")[:count]
    )


def series_payloads(count: int) -> list[dict]:
    """New 12-week series in lanes nobody has booked yet: past the last booked session, one therapist lane each."""
    last = Appointment.objects.aggregate(last=Max("start"))["last"]
    first_monday = clock.local_datetime(last.date(), dt.time(0)).date()
    first_monday += dt.timedelta(days=7 - first_monday.weekday() + 7)
    service = ServiceType.objects.get(code="90834")
    rooms = {room.name: room.pk for room in Room.objects.all()}
    team = therapists()
    lanes = [(d, h) for d in LANE_WEEKDAYS for h in LANE_HOURS]
    payloads = []
    patients_of = {
        t.pk: list(Patient.objects.filter(primary_therapist=t, status="active").values_list("pk", flat=True))
        for t in team
    }
    for n in range(count):
        index, lane = n % len(team), lanes[(n // len(team)) % len(lanes)]
        block = n // (len(team) * len(lanes))
        therapist = team[index]
        room = rooms.get(f"Room {index + 1}")
        payloads.append(
            {
                "therapist": therapist.pk,
                "patient": patients_of[therapist.pk][n // len(team)],
                "service_type": service.pk,
                "room": room,
                "is_telehealth": room is None,
                "first_date": (first_monday + dt.timedelta(weeks=12 * block, days=lane[0])).isoformat(),
                "local_start_time": f"{lane[1]:02d}:00",
                "occurrence_count": 12,
            }
        )
    return payloads


def _free_saturdays(therapist_ids: list[int], count: int) -> list[tuple[int, dt.datetime]]:
    """(therapist, start) pairs on past Saturdays where the therapist has nothing booked."""
    taken = {
        (t, s)
        for t, s in Appointment.objects.filter(therapist_id__in=therapist_ids, start__week_day=7).values_list(
            "therapist_id", "start"
        )
    }
    today = clock.local_now().date()
    saturday = today - dt.timedelta(days=(today.weekday() - 5) % 7 or 7)
    slots = []
    while len(slots) < count:
        for hour in (9, 10, 11, 12, 13, 14):
            for therapist_id in therapist_ids:
                start = clock.local_datetime(saturday, dt.time(hour))
                if (therapist_id, start) not in taken and len(slots) < count:
                    slots.append((therapist_id, start))
        saturday -= dt.timedelta(weeks=1)
    return slots


def drafts(count: int) -> list[tuple[int, int]]:
    """(author id, note id) of `count` draft notes of past sessions still booked, so that signing each completes
    its session and posts the charge, as the floor does, in every run and at every scale. The seeded unsigned
    queue's sessions are completed already, so these are Saturday sessions booked in the past whose therapists
    start their notes through the notes service."""
    existing = list(
        SessionNote.objects.filter(
            status=NoteStatus.DRAFT,
            appointment__start__lt=clock.now(),
            appointment__status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
        )
        .order_by("pk")
        .values_list("author_id", "pk")[:count]
    )
    missing = count - len(existing)
    if missing <= 0:
        return existing
    team = {t.pk: t for t in therapists()}
    service = ServiceType.objects.get(code="90834")
    template = NoteTemplate.objects.get(name="Psychodynamic TMS progress note")
    slots = _free_saturdays(list(team), missing)
    patients_of = {
        t: cycle(Patient.objects.filter(primary_therapist_id=t, status="active").values_list("pk", flat=True))
        for t in team
    }
    first = ids_reserve(Appointment, len(slots))
    rows = [
        {
            "id": first + n,
            "therapist_id": therapist_id,
            "patient_id": next(patients_of[therapist_id]),
            "service_type_id": service.pk,
            "start": start,
            "end": start + dt.timedelta(minutes=service.duration_minutes),
            "is_telehealth": True,
            "telehealth_url": f"https://telehealth.{EMAIL_DOMAIN}/room/b{first + n}",
            "status": AppointmentStatus.BOOKED,
            "override_reason": "Saturday session",
        }
        for n, (therapist_id, start) in enumerate(slots)
    ]
    with transaction.atomic():
        rows_copy(Appointment, rows)
        for appointment in Appointment.objects.filter(pk__in=[r["id"] for r in rows]).select_related("patient"):
            note = note_services.note_create(
                actor=team[appointment.therapist_id], appointment=appointment, template=template, content=DRAFT_CONTENT
            )
            existing.append((note.author_id, note.pk))
    return existing


def reminders_queue(count: int, run_id: str) -> list[int]:
    """`count` email reminders due now for booked sessions, shaped as the notifications service queues them. The
    sessions start an hour from now or later, after the run has sent them: a reminder for a session that has begun
    is cancelled, not sent (the signing benchmark leaves past sessions booked, and a session may begin during the
    run at any hour of the day)."""
    now = clock.now()
    appointments = list(
        Appointment.objects.select_related("patient", "therapist", "room")
        .filter(patient__isnull=False, status=AppointmentStatus.BOOKED, start__gte=now + dt.timedelta(hours=1))
        .order_by("start")[:count]
    )
    first = ids_reserve(Message, count)
    rows = []
    for n, appointment in zip(range(count), cycle(appointments), strict=False):
        patient = appointment.patient
        rows.append(
            {
                "id": first + n,
                "patient_id": patient.pk,
                "channel": Channel.EMAIL,
                "to_address": patient.email,
                "purpose": "reminder_email",
                "template": REMINDER_TEMPLATE,
                "context": {
                    "appointment_id": appointment.pk,
                    "start": appointment.start.isoformat(),
                    "end": appointment.end.isoformat(),
                    "patient_first_name": patient.preferred_name or patient.legal_first_name,
                    "therapist_first_name": appointment.therapist.first_name,
                    "is_telehealth": appointment.is_telehealth,
                    "telehealth_url": appointment.telehealth_url,
                    "room_name": appointment.room.name if appointment.room_id else "",
                    "confirm_url": appointment_link_url(appointment=appointment, action="confirm"),
                    "cancel_url": appointment_link_url(appointment=appointment, action="cancel"),
                },
                "subject_type": "scheduling.appointment",
                "subject_id": str(appointment.pk),
                "dedupe_key": f"bench:{run_id}:appointment:{appointment.pk}:reminder_email:{n}",
                "send_at": now,
            }
        )
    with transaction.atomic():
        rows_copy(Message, rows)
    return [row["id"] for row in rows]


def statement_month() -> tuple[int, int]:
    """The latest ended month: the month a clinic's run issues. The benchmark rolls its run back, so every run
    issues the same month's statements (an earlier month would be passed over for a patient issued a later one)."""
    today = clock.local_now().date()
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
