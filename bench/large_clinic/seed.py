"""A large, realistic clinic for the benchmark: therapists, patients and years of history, loaded with COPY.

At scale 1: 20 therapists, 10,000 patients, five years of weekly sessions (about 150,000 appointments) with
signed notes, charges and payments, and 30 group programs with waitlists.

The shape of the history: each therapist works 30 weekly "lanes" (a weekday and an hour). A patient
starts an episode of care in a free lane (an intake, then weekly sessions, each episode an appointment
series) and leaves it after 6 to 26 weeks; the next patient in the therapist's queue takes the lane. Lanes
belong to one therapist and each therapist to one room (or telehealth), and a patient is in one lane at a
time, so no two active appointments ever overlap for a therapist, a room or a patient, which is exactly what
the database's exclusion constraints demand. Group programs meet in the evening in the group room.

Rows are inserted in their final state (signed notes signed, ledger rows as posted) because the database
refuses later changes to them.
"""

import dataclasses
import datetime as dt
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import TherapistProfile, User
from apps.accounts.roles import Role
from apps.accounts.services import roles_ensure, user_create
from apps.billing.models import (
    Adjustment,
    AdjustmentKind,
    AssessmentStatus,
    Charge,
    ChargeKind,
    Payment,
    PaymentMethod,
    SlidingScaleAssessment,
)
from apps.billing.pricing import FULL_FEE_CLASS, class_price, rates_on
from apps.billing.services.configuration import (
    HRSA_DEFAULT_CLASSES,
    fee_schedule_set,
    guideline_set,
    scale_schedule_save,
)
from apps.core import clock
from apps.core.encryption import encrypt_json
from apps.core.models import ClinicSettings
from apps.notes.models import ATTESTATION, NoteStatus, NoteTemplate, SessionNote
from apps.patients.models import Patient, PatientStatus
from apps.programs.models import (
    Attendance,
    AttendanceStatus,
    Enrollment,
    EnrollmentStatus,
    GroupProgram,
    ProgramMeeting,
)
from apps.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    Location,
    Room,
    SeriesStatus,
    ServiceType,
    WorkingHours,
)

from .copy import history_in_bulk, ids_reserve, rows_copy, sequence_block

EMAIL_DOMAIN = "large.clinic.test"
STAFF_PASSWORD = "large-clinic-bench-2026"
# A fixed TOTP key: the benchmark signs staff in with a verified device, never with a code.
TOTP_KEY = "3132333435363738393031323334353637383930"

LANE_WEEKDAYS = range(5)
LANE_HOURS = (9, 10, 11, 13, 14, 15)
THERAPY_ROOMS = 14
GROUP_ROOM = "Group room"
PROGRESS_TEMPLATE = "Psychodynamic TMS progress note"  # shipped by the notes app's data migration
HISTORY_TRACKED = (Patient, AppointmentSeries, Appointment, SlidingScaleAssessment, SessionNote, Enrollment, Attendance)
GROUP_TIMES = (dt.time(17, 30), dt.time(19, 15))
HORIZON_WEEKS = 12  # booked ahead of today, as open series are
PORTAL_SHARE = 0.3  # patients with a portal account
ASSESSED_SHARE = 0.6  # patients on the sliding scale
PAID_SHARE = 0.93

SERVICE_TYPES = [
    ("90791", "Intake assessment", 60, False),
    ("90834", "Individual psychotherapy, 45 min", 45, False),
    ("90837", "Individual psychotherapy, 60 min", 60, False),
    ("90853", "Group psychotherapy", 90, True),
]
HISTORY_START = dt.date(2021, 1, 1)
FULL_FEES = {  # (from 2021, from 2025)
    "90791": (Decimal("230.00"), Decimal("250.00")),
    "90834": (Decimal("180.00"), Decimal("200.00")),
    "90837": (Decimal("190.00"), Decimal("200.00")),
    "90853": (Decimal("55.00"), Decimal("60.00")),
}
FEE_CHANGE = dt.date(2025, 1, 1)
GUIDELINES = {
    2021: ("12880", "4540"),
    2022: ("13590", "4720"),
    2023: ("14580", "5140"),
    2024: ("15060", "5380"),
    2025: ("15650", "5500"),
    2026: ("15960", "5680"),
}


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words(
    "Olivia Liam Emma Noah Ava Elijah Sophia James Isabella William Mia Benjamin Charlotte Lucas Amelia "
    "Henry Harper Theodore Evelyn Jack Abigail Levi Emily Alexander Ella Jackson Elizabeth Mateo Camila "
    "Daniel Luna Michael Sofia Mason Avery Sebastian Mila Ethan Aria Logan Scarlett Owen Penelope Samuel "
    "Layla Jacob Chloe Asher Victoria Aiden Madison John Eleanor Joseph Grace Wyatt Nora David Riley Leo "
    "Zoey Luke Hannah Julian Hazel Hudson Lily Grayson Ellie Matthew Violet Ezra Lillian Gabriel Zoe Carter "
    "Stella Isaac Aurora Jayden Natalie Luca Emilia Anthony Everly Dylan Leah Lincoln Aubrey Thomas Willow "
    "Maverick Addison Elias Lucy "
)
LAST = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz "
    "Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson "
    "Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray "
    "Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins "
    "Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero "
    "Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant "
    "Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez "
    "McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford "
    "Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer "
    "Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren "
)
CITIES = [("Boston", "MA", "02110"), ("Cambridge", "MA", "02139"), ("Somerville", "MA", "02143"),
          ("Brookline", "MA", "02446"), ("Newton", "MA", "02458"), ("Quincy", "MA", "02169")]  # fmt: skip
SYMPTOMS = ["back", "neck_shoulders", "head", "gut", "vestibular", "limbs", "skin", "fatigue"]
THEMES = ["anger_rage", "grief", "fear_anxiety", "shame", "guilt"]
PRESSURES = ["perfectionism", "goodism", "self_criticism"]
INTERVENTIONS = ["interpretation", "tms_education", "journaling_assignment"]
CHANGES = ["better", "same", "worse"]
PROGRAM_TITLES = [
    "Pain reprocessing group",
    "TMS lecture series",
    "Journaling circle",
    "Anger and the body",
    "Back pain recovery group",
    "Mindful movement and fear",
]


@dataclass(frozen=True)
class Plan:
    """How big the clinic is at a scale; `weeks` of history end this week, plus the booked horizon."""

    scale: float
    weeks: int = 260

    @property
    def therapists(self) -> int:
        return max(2, round(20 * self.scale))

    @property
    def patients(self) -> int:
        return max(10, round(10_000 * self.scale))

    @property
    def programs(self) -> int:
        return max(2, round(30 * self.scale))


@dataclass
class Episode:
    series_id: int
    patient_index: int
    therapist_index: int
    weekday: int
    hour: int
    first_week: int
    weeks: int
    service_code: str


@dataclass
class Built:
    """What the seeder made, with the seconds each step took."""

    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def marker_email() -> str:
    return f"frontdesk@{EMAIL_DOMAIN}"


def is_seeded() -> bool:
    return User.objects.filter(email=marker_email()).exists()


class LargeClinic:
    def __init__(self, plan: Plan, *, out, seed: int = 20261121):
        self.plan = plan
        self.out = out
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        self.built = Built()
        self.now = clock.now()
        self.today = clock.local_now().date()
        self.monday = self.today - dt.timedelta(days=self.today.weekday())
        self.first_monday = self.monday - dt.timedelta(weeks=plan.weeks)
        self.fee_configs: dict[int, object] = {}

    # -- helpers -------------------------------------------------------------------------------------------------

    def _step(self, name: str, started: float, **counts: int) -> None:
        seconds = time.monotonic() - started
        self.built.timings[name] = round(seconds, 2)
        self.built.counts.update(counts)
        summary = ", ".join(f"{v:,} {k}" for k, v in counts.items())
        self.out.write(f"  {name}: {summary} in {seconds:.1f}s")

    def _at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return clock.local_datetime(day, dt.time(hour, minute))

    def _config(self, on: dt.date):
        """The fee configuration on a date. The clinic's configuration changes at most yearly, so it is loaded
        once a year and re-dated."""
        config = self.fee_configs.get(on.year)
        if config is None:
            config = self.fee_configs[on.year] = rates_on(on=dt.date(on.year, 12, 31))
        return dataclasses.replace(config, on=on)

    # -- the steps -----------------------------------------------------------------------------------------------

    def build(self) -> Built:
        total = time.monotonic()
        with transaction.atomic():
            self.reference()
            self.staff()
            with history_in_bulk(*HISTORY_TRACKED):
                self.patients()
                self.schedule()
                self.assessments()
                self.notes()
                self.ledger()
                self.programs()
                started = time.monotonic()
            self._step("row history", started)
        started = time.monotonic()
        with connection.cursor() as cursor:
            # Statistics for the planner, and the visibility map and hint bits a clinic's tables have once
            # autovacuum has passed: without them the first reads of freshly copied rows write as they read.
            # (Inside a transaction, as the tests seed, VACUUM cannot run; statistics are enough there.)
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        self._step("vacuum and analyze", started)
        self.built.timings["total"] = round(time.monotonic() - total, 2)
        return self.built

    def reference(self) -> None:
        started = time.monotonic()
        roles_ensure()
        ClinicSettings.objects.update_or_create(
            id=1, defaults={"name": "Harbor Mind-Body Clinic", "email": f"hello@{EMAIL_DOMAIN}", "npi": "1093847561"}
        )
        self.services = {}
        for code, name, minutes, is_group in SERVICE_TYPES:
            self.services[code], _ = ServiceType.objects.update_or_create(
                code=code, defaults={"name": name, "duration_minutes": minutes, "is_group": is_group}
            )
        rooms = min(THERAPY_ROOMS, self.plan.therapists)
        self.location = Location.main()
        self.rooms = [
            Room.objects.get_or_create(name=f"Room {i + 1}", defaults={"capacity": 1})[0] for i in range(rooms)
        ]
        self.group_room, _ = Room.objects.get_or_create(name=GROUP_ROOM, defaults={"capacity": 14})
        for code, (early, late) in FULL_FEES.items():
            for start, fee in ((HISTORY_START, early), (FEE_CHANGE, late)):
                fee_schedule_set(actor=None, service_type=self.services[code], full_fee=fee, effective_from=start)
        for year, (first, additional) in GUIDELINES.items():
            guideline_set(
                actor=None, year=year, first_person=Decimal(first), each_additional_person=Decimal(additional)
            )
        scale_schedule_save(
            actor=None,
            effective_from=HISTORY_START,
            nominal_fee=Decimal("20.00"),
            late_cancel_fee=Decimal("100.00"),
            classes=HRSA_DEFAULT_CLASSES,
        )
        self.template = NoteTemplate.objects.filter(name=PROGRESS_TEMPLATE).first()
        if self.template is None:
            raise LookupError(f"The note template {PROGRESS_TEMPLATE!r} is missing; run the notes migrations first.")
        self._step("reference data", started, service_types=len(self.services), rooms=rooms + 1)

    def staff(self) -> None:
        started = time.monotonic()
        self.front_desk = user_create(
            email=marker_email(), first_name="Fran", last_name="Desk", roles=[Role.FRONT_DESK], password=None
        )
        self.billing = user_create(
            email=f"billing@{EMAIL_DOMAIN}", first_name="Bill", last_name="Ing", roles=[Role.BILLING],
            password=None,
        )  # fmt: skip
        self.admin = user_create(
            email=f"admin@{EMAIL_DOMAIN}", first_name="Ada", last_name="Min", roles=[Role.ADMIN], password=None
        )
        self.therapists = []
        for i in range(self.plan.therapists):
            therapist = user_create(
                email=f"therapist{i + 1:02d}@{EMAIL_DOMAIN}",
                first_name=FIRST[(i * 7) % len(FIRST)],
                last_name=LAST[(i * 13) % len(LAST)],
                roles=[Role.THERAPIST],
                password=None,
            )
            TherapistProfile.objects.create(
                user=therapist, credentials="LICSW", license_number=f"LIC-{i + 1:05d}", npi=f"{1500000000 + i}"
            )
            self.therapists.append(therapist)
            WorkingHours.objects.bulk_create(
                WorkingHours(therapist=therapist, weekday=d, start_time=dt.time(9), end_time=dt.time(17))
                for d in LANE_WEEKDAYS
            )
        staff = [self.front_desk, self.billing, self.admin, *self.therapists]
        # One Argon2 hash for every staff member: hashing two dozen passwords one by one takes half a minute.
        User.objects.filter(pk__in=[u.pk for u in staff]).update(password=make_password(STAFF_PASSWORD))
        TOTPDevice.objects.bulk_create(
            TOTPDevice(user=user, name="Authenticator", key=TOTP_KEY, confirmed=True) for user in staff
        )
        self._step("staff", started, staff=len(staff))

    def patients(self) -> None:
        started = time.monotonic()
        count = self.plan.patients
        first_id = ids_reserve(Patient, count)
        chart_first = sequence_block("patients_chart_number_seq", count)
        portal = [i for i in range(count) if self.rng.random() < PORTAL_SHARE]
        user_first = ids_reserve(User, len(portal))
        self.patient_user = {i: user_first + n for n, i in enumerate(portal)}
        rng = self.rng
        users, rows = [], []
        therapist_count = len(self.therapists)
        self.patient_ids = []
        for i in range(count):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"patient{i + 1:05d}@{EMAIL_DOMAIN}"
            if i in self.patient_user:
                users.append(
                    {
                        "id": self.patient_user[i],
                        "email": email,
                        "first_name": first,
                        "last_name": last,
                        "password": f"!{rng.getrandbits(64):016x}",  # unusable: the benchmark signs in by session
                        "date_joined": self.now,
                    }
                )
            sms = rng.random() < 0.4
            city, state, postal = rng.choice(CITIES)
            rows.append(
                {
                    "id": first_id + i,
                    "user_id": self.patient_user.get(i),
                    "chart_number": f"C{chart_first + i:06d}",
                    "legal_first_name": first,
                    "legal_last_name": last,
                    "preferred_name": rng.choice(FIRST) if rng.random() < 0.1 else "",
                    "pronouns": rng.choice(["she/her", "he/him", "they/them", "", ""]),
                    "date_of_birth": dt.date(1945, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 60)),
                    "email": email,
                    "phone": f"+1617{5550000 + i:07d}",
                    "address_line1": f"{rng.randrange(1, 999)} {rng.choice(LAST)} Street",
                    "address_line2": "",
                    "city": city,
                    "state": state,
                    "postal_code": postal,
                    "emergency_contact_name": f"{rng.choice(FIRST)} {last}",
                    "emergency_contact_phone": f"+1617{6660000 + i:07d}",
                    "emergency_contact_relationship": rng.choice(["Partner", "Parent", "Sibling", "Friend"]),
                    "primary_therapist_id": self.therapists[i % therapist_count].pk,
                    "reminder_email": True,
                    "reminder_sms": sms,
                    "sms_consent_at": self.now if sms else None,
                    "status": PatientStatus.ACTIVE,
                }
            )
            self.patient_ids.append(first_id + i)
        rows_copy(User, users)
        group = Group.objects.get(name=Role.PATIENT)
        rows_copy(User.groups.through, ({"user_id": u["id"], "group_id": group.pk} for u in users))
        self.patient_rows = rows
        self._step("patients", started, patients=count, portal_accounts=len(users))

    def _episodes(self) -> list[Episode]:
        """Fill each therapist's lanes with episodes of care from their queue of patients."""
        rng = self.rng
        total_weeks = self.plan.weeks + HORIZON_WEEKS
        queues = defaultdict(list)
        for i in range(self.plan.patients):
            queues[i % len(self.therapists)].append(i)
        episodes = []
        for t, queue in queues.items():
            rng.shuffle(queue)
            lanes = [(d, h) for d in LANE_WEEKDAYS for h in LANE_HOURS]
            cursors = {lane: rng.randrange(0, 4) for lane in lanes}
            # Round-robin over the lanes so patients join through the whole history, not lane by lane.
            while queue and any(w < total_weeks for w in cursors.values()):
                for lane in lanes:
                    week = cursors[lane]
                    if week >= total_weeks or not queue:
                        continue
                    weeks = min(rng.randint(6, 26), total_weeks - week)
                    code = "90837" if rng.random() < 0.2 else "90834"
                    episodes.append(Episode(0, queue.pop(), t, lane[0], lane[1], week, weeks, code))
                    cursors[lane] = week + weeks + rng.randrange(0, 3)
        first = ids_reserve(AppointmentSeries, len(episodes))
        for n, episode in enumerate(episodes):
            episode.series_id = first + n
        return episodes

    def _status(self, start: dt.datetime) -> str:
        if start > self.now:
            return AppointmentStatus.BOOKED
        roll = self.rng.random()
        if roll < 0.05:
            return AppointmentStatus.CANCELLED
        if roll < 0.08:
            return AppointmentStatus.LATE_CANCELLED
        if roll < 0.11:
            return AppointmentStatus.NO_SHOW
        return AppointmentStatus.COMPLETED

    def schedule(self) -> None:
        started = time.monotonic()
        episodes = self._episodes()
        appointment_count = sum(e.weeks for e in episodes)
        first_id = ids_reserve(Appointment, appointment_count)
        self.appointments = []  # (id, patient_index, therapist_index, service_code, start, end, status)
        series_rows, rows = [], []
        next_id = first_id
        self.last_seen = {}
        self.first_seen = {}
        for e in episodes:
            therapist = self.therapists[e.therapist_index]
            room = self.rooms[e.therapist_index] if e.therapist_index < len(self.rooms) else None
            first_day = self.first_monday + dt.timedelta(weeks=e.first_week, days=e.weekday)
            series_rows.append(
                {
                    "id": e.series_id,
                    "therapist_id": therapist.pk,
                    "patient_id": self.patient_ids[e.patient_index],
                    "service_type_id": self.services[e.service_code].pk,
                    "location_id": self.location.pk,
                    "room_id": room.pk if room else None,
                    "is_telehealth": room is None,
                    "weekday": e.weekday,
                    "local_start_time": dt.time(e.hour),
                    "interval_weeks": 1,
                    "first_date": first_day,
                    "occurrence_count": e.weeks,
                    "booked_through": first_day + dt.timedelta(weeks=e.weeks - 1),
                    "status": SeriesStatus.ACTIVE,
                    "created_by_id": self.front_desk.pk,
                }
            )
            for k in range(e.weeks):
                day = first_day + dt.timedelta(weeks=k)
                code = "90791" if k == 0 else e.service_code
                start = self._at(day, e.hour)
                end = start + dt.timedelta(minutes=self.services[code].duration_minutes)
                status = self._status(start)
                row = {
                    "id": next_id,
                    "therapist_id": therapist.pk,
                    "patient_id": self.patient_ids[e.patient_index],
                    "location_id": self.location.pk,
                    "room_id": room.pk if room else None,
                    "service_type_id": self.services[code].pk,
                    "series_id": e.series_id,
                    "start": start,
                    "end": end,
                    "is_telehealth": room is None,
                    "telehealth_url": f"https://telehealth.{EMAIL_DOMAIN}/room/s{e.series_id}" if room is None else "",
                    "status": status,
                    "created_by_id": self.front_desk.pk,
                }
                if status == AppointmentStatus.COMPLETED:
                    row["checked_in_at"] = start - dt.timedelta(minutes=5)
                    row["completed_at"] = end
                elif status in (AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED):
                    row["cancelled_at"] = start - dt.timedelta(hours=72 if status == AppointmentStatus.CANCELLED else 6)
                    row["cancelled_by_id"] = self.front_desk.pk
                    row["cancellation_reason"] = "Patient called"
                rows.append(row)
                self.appointments.append((next_id, e.patient_index, e.therapist_index, code, start, end, status))
                self.first_seen.setdefault(e.patient_index, day)
                self.last_seen[e.patient_index] = day
                next_id += 1
        rows_copy(AppointmentSeries, series_rows)
        rows_copy(Appointment, rows)
        self._discharge_and_load_patients()
        self._step("schedule", started, series=len(series_rows), appointments=len(rows))

    def _discharge_and_load_patients(self) -> None:
        """Patients whose care ended over a year ago are discharged; then the patient rows go in.

        Patients are written after the schedule is planned (their status depends on it) but before the
        appointments' foreign keys are checked at commit.
        """
        cutoff = self.today - dt.timedelta(days=365)
        for i, row in enumerate(self.patient_rows):
            last = self.last_seen.get(i)
            if last is not None and last < cutoff:
                row["status"] = PatientStatus.DISCHARGED
                row["discharged_on"] = last + dt.timedelta(days=14)
        rows_copy(Patient, self.patient_rows)

    def assessments(self) -> None:
        """An approved sliding-scale assessment from the first session for most patients seen (12 months)."""
        started = time.monotonic()
        rng = self.rng
        seen = [i for i in sorted(self.first_seen) if rng.random() < ASSESSED_SHARE]
        first_id = ids_reserve(SlidingScaleAssessment, len(seen))
        self.assessment_of = {}
        rows = []
        for n, i in enumerate(seen):
            begin = self.first_seen[i]
            config = self._config(begin)
            size = rng.randint(1, 5)
            income = Decimal(rng.randrange(9_000, 140_000, 500))
            classified = config.classify(household_size=size, annual_income=income)
            expires = dt.date(begin.year + 1, begin.month, min(begin.day, 28))
            self.assessment_of[i] = (first_id + n, begin, expires, classified)
            rows.append(
                {
                    "id": first_id + n,
                    "patient_id": self.patient_ids[i],
                    "household_size": size,
                    "annual_income": income,
                    "proof": "",
                    **classified.assessment_fields(),
                    "status": AssessmentStatus.APPROVED,
                    "submitted_by_id": None,
                    "reviewed_by_id": self.billing.pk,
                    "reviewed_at": self._at(begin, 8),
                    "effective_from": begin,
                    "expires_on": expires,
                    "override_reason": "",
                }
            )
        rows_copy(SlidingScaleAssessment, rows)
        self._step("sliding-scale assessments", started, assessments=len(rows))

    def _content(self) -> tuple[dict, int, int]:
        rng = self.rng
        now, worst = rng.randint(0, 8), rng.randint(2, 10)
        worst = max(now, worst)
        content = {
            "presenting_symptoms": "Pain flares on work days; eases on weekends and on holiday.",
            "symptom_locations": rng.sample(SYMPTOMS, rng.randint(1, 3)),
            "pain_now": now,
            "pain_worst": worst,
            "change_since_last": rng.choice(CHANGES),
            "symptom_shifts": "Pain moved from the low back to the shoulders after a family argument.",
            "emotional_themes": rng.sample(THEMES, rng.randint(1, 3)),
            "personality_pressures": rng.sample(PRESSURES, rng.randint(1, 2)),
            "interventions": rng.sample(INTERVENTIONS, rng.randint(1, 3)),
            "patient_response": "Connected the flare to anger held back at work; less fear of movement.",
            "plan_homework": "Journal daily for twenty minutes; continue weekly sessions.",
            "suicidal_ideation": "none",
        }
        return content, now, worst

    def notes(self) -> None:
        """A signed note for every completed session, except the last fortnight's drafts (the unsigned queue)."""
        started = time.monotonic()
        completed = [a for a in self.appointments if a[6] == AppointmentStatus.COMPLETED]
        first_id = ids_reserve(SessionNote, len(completed))
        draft_after = self.now - dt.timedelta(days=14)
        rows = []
        drafts = 0
        for n, (appointment_id, p, t, _code, start, end, _status) in enumerate(completed):
            content, pain_now, pain_worst = self._content()
            draft = start > draft_after and self.rng.random() < 0.25
            drafts += draft
            therapist_id = self.therapists[t].pk
            rows.append(
                {
                    "id": first_id + n,
                    "appointment_id": appointment_id,
                    "patient_id": self.patient_ids[p],
                    "author_id": therapist_id,
                    "template_id": self.template.pk,
                    "content_encrypted": encrypt_json(content),
                    "pain_now": pain_now,
                    "pain_worst": pain_worst,
                    "status": NoteStatus.DRAFT if draft else NoteStatus.SIGNED,
                    "signed_at": None if draft else end + dt.timedelta(hours=2),
                    "signed_by_id": None if draft else therapist_id,
                    "attestation": "" if draft else ATTESTATION,
                    "attested_at": None if draft else end + dt.timedelta(hours=2),
                    "cosign_required": False,
                    "created_at": end,
                    "updated_at": end if draft else end + dt.timedelta(hours=2),
                }
            )
        rows_copy(SessionNote, rows)
        self._step("session notes", started, notes=len(rows), draft_notes=drafts)

    def _price(self, patient_index: int, full: Decimal, on: dt.date, config) -> tuple[Decimal, str, str, int | None]:
        held = self.assessment_of.get(patient_index)
        if held is None or not (held[1] <= on < held[2]):
            return full, *FULL_FEE_CLASS, None
        assessment_id, _begin, _end, classified = held
        scale_class = config.fixed_class(code=classified.scale_class.code, percent=classified.percent)
        price = class_price(rates=config, scale_class=scale_class, full_fee=full)
        return price.fee, price.class_code, price.class_label, assessment_id

    def ledger(self) -> None:
        """Charges for completed sessions, late cancellations and no-shows; most paid within two weeks."""
        started = time.monotonic()
        rng = self.rng
        kinds = {
            AppointmentStatus.COMPLETED: ChargeKind.SESSION,
            AppointmentStatus.LATE_CANCELLED: ChargeKind.LATE_CANCEL,
            AppointmentStatus.NO_SHOW: ChargeKind.NO_SHOW,
        }
        billable = [a for a in self.appointments if a[6] in kinds]
        charge_first = ids_reserve(Charge, len(billable))
        charges, payments, adjustments = [], [], []
        for n, (appointment_id, p, t, code, start, end, status) in enumerate(billable):
            on = start.astimezone(clock.clinic_tz()).date()
            config = self._config(on)
            kind = kinds[status]
            service = self.services[code]
            if kind == ChargeKind.SESSION:
                full = config.full_fee(service.pk)
                description = f"{service.name} ({service.code})"
            else:
                full = config.late_cancel_fee
                label = "Late cancellation fee" if kind == ChargeKind.LATE_CANCEL else "No-show fee"
                description = f"{label} ({service.code} session)"
            amount, class_code, class_label, assessment_id = self._price(p, full, on, config)
            charge_id = charge_first + n
            charges.append(
                {
                    "id": charge_id,
                    "patient_id": self.patient_ids[p],
                    "kind": kind,
                    "appointment_id": appointment_id,
                    "service_type_id": service.pk,
                    "therapist_id": self.therapists[t].pk,
                    "service_date": on,
                    "description": description,
                    "full_fee": full,
                    "amount": amount,
                    "class_code": class_code,
                    "class_label": class_label,
                    "assessment_id": assessment_id,
                    "posted_at": end,
                    "posted_by_id": None,
                }
            )
            paid_at = end + dt.timedelta(days=rng.randrange(0, 14), minutes=rng.randrange(0, 600))
            roll = rng.random()
            if amount > 0 and paid_at < self.now and roll < PAID_SHARE:
                payments.append((self.patient_ids[p], amount, paid_at))
            elif amount > 0 and end < self.now - dt.timedelta(days=180) and roll < PAID_SHARE + 0.02:
                adjustments.append(
                    {
                        "patient_id": self.patient_ids[p],
                        "kind": AdjustmentKind.WRITE_OFF,
                        "amount": amount,
                        "charge_id": charge_id,
                        "reason": "Uncollectable after three statements",
                        "posted_at": end + dt.timedelta(days=150),
                        "posted_by_id": self.billing.pk,
                    }
                )
        rows_copy(Charge, charges)
        payment_first = ids_reserve(Payment, len(payments))
        receipt_first = sequence_block("billing_receipt_number_seq", len(payments)) if payments else 0
        methods = [PaymentMethod.CARD_ONLINE] * 5 + [PaymentMethod.CHECK] * 3 + [PaymentMethod.CASH] * 2
        payment_rows = []
        for n, (patient_id, amount, paid_at) in enumerate(payments):
            method = rng.choice(methods)
            online = method == PaymentMethod.CARD_ONLINE
            payment_rows.append(
                {
                    "id": payment_first + n,
                    "patient_id": patient_id,
                    "method": method,
                    "amount": amount,
                    "received_at": paid_at,
                    "reference": f"{rng.randrange(1000, 9999)}" if method != PaymentMethod.CASH else "",
                    "provider": "offline" if online else "",
                    "provider_reference": f"pi_large_{payment_first + n}" if online else "",
                    "receipt_number": f"R{receipt_first + n:07d}",
                    "note": "",
                    "recorded_by_id": None if online else self.front_desk.pk,
                }
            )
        rows_copy(Payment, payment_rows)
        first_adjustment = ids_reserve(Adjustment, len(adjustments))
        rows_copy(Adjustment, ({"id": first_adjustment + n, **row} for n, row in enumerate(adjustments)))
        self._step("ledger", started, charges=len(charges), payments=len(payment_rows), adjustments=len(adjustments))

    def programs(self) -> None:
        """Group programs through the five years: past ones completed, current ones running, coming ones with
        full rosters and waitlists. Each evening slot (weekday, time) hosts programs one after another."""
        started = time.monotonic()
        rng = self.rng
        count = self.plan.programs
        group = self.services["90853"]
        slots = [(d, t) for d in LANE_WEEKDAYS for t in GROUP_TIMES]
        per_slot = -(-count // len(slots))
        stride = max(11, self.plan.weeks // per_slot)
        programs, meetings, appointments, enrollments, attendance = [], [], [], [], []
        program_first = ids_reserve(GroupProgram, count)
        meeting_count = 10
        appointment_first = ids_reserve(Appointment, count * meeting_count)
        meeting_first = ids_reserve(ProgramMeeting, count * meeting_count)
        patients_by_program = []
        for n in range(count):
            weekday, at = slots[n % len(slots)]
            # Per evening slot, newest first: one still to come (enrollment open, full, a waitlist), one running
            # now, then past ones `stride` weeks apart, so programs sharing the group room never overlap.
            round_ = n // len(slots)
            week = self.plan.weeks + 6 if round_ == 0 else self.plan.weeks - 5 - (round_ - 1) * stride
            first_day = self.first_monday + dt.timedelta(weeks=week, days=weekday)
            lead = self.therapists[n % len(self.therapists)]
            program_id = program_first + n
            programs.append(
                {
                    "id": program_id,
                    "title": f"{PROGRAM_TITLES[n % len(PROGRAM_TITLES)]} ({first_day:%B %Y})",
                    "description": "Ten weekly meetings: education, journaling and group reflection.",
                    "lead_facilitator_id": lead.pk,
                    "service_type_id": group.pk,
                    "capacity": 12,
                    "charge_no_shows": False,
                    "enrollment_opens_on": first_day - dt.timedelta(weeks=8),
                    "enrollment_closes_on": None,
                    "room_id": self.group_room.pk,
                    "is_telehealth": False,
                    "local_start_time": at,
                    "first_meeting_on": first_day,
                    "meeting_count": meeting_count,
                    "interval_weeks": 1,
                    "outcome_questionnaires": ["pain_nrs"],
                    "created_by_id": self.front_desk.pk,
                }
            )
            program_meetings = []
            for k in range(meeting_count):
                start = clock.local_datetime(first_day + dt.timedelta(weeks=k), at)
                appointment_id = appointment_first + n * meeting_count + k
                past = start < self.now
                appointments.append(
                    {
                        "id": appointment_id,
                        "therapist_id": lead.pk,
                        "patient_id": None,
                        "location_id": self.location.pk,
                        "room_id": self.group_room.pk,
                        "service_type_id": group.pk,
                        "start": start,
                        "end": start + dt.timedelta(minutes=group.duration_minutes),
                        "is_telehealth": False,
                        "telehealth_url": "",
                        "status": AppointmentStatus.COMPLETED if past else AppointmentStatus.BOOKED,
                        "completed_at": start + dt.timedelta(minutes=group.duration_minutes) if past else None,
                        "created_by_id": self.front_desk.pk,
                    }
                )
                meeting_id = meeting_first + n * meeting_count + k
                meetings.append(
                    {"id": meeting_id, "program_id": program_id, "appointment_id": appointment_id, "number": k + 1}
                )
                program_meetings.append((meeting_id, appointment_id, start, past))
            members = rng.sample(range(self.plan.patients), min(12 + 15, self.plan.patients))
            ended = program_meetings[-1][2] < self.now
            opened = self._at(first_day - dt.timedelta(weeks=8), 9)
            roster = []
            for rank, p in enumerate(members):
                row = {
                    "program_id": program_id,
                    "patient_id": self.patient_ids[p],
                    "created_by_id": None,
                    "created_at": opened + dt.timedelta(hours=rank),
                    "updated_at": opened + dt.timedelta(hours=rank),
                }
                if rank < 12:
                    row.update(
                        status=EnrollmentStatus.COMPLETED if ended else EnrollmentStatus.ENROLLED,
                        enrolled_at=row["created_at"],
                        ended_at=program_meetings[-1][2] if ended else None,
                    )
                    roster.append(p)
                elif ended:
                    row.update(
                        status=EnrollmentStatus.EXPIRED, ended_at=program_meetings[0][2], end_reason="Program ended"
                    )
                else:
                    row.update(status=EnrollmentStatus.WAITLISTED, waitlist_position=rank - 11)
                enrollments.append(row)
            patients_by_program.append((program_id, roster, program_meetings))
        rows_copy(GroupProgram, programs)
        rows_copy(Appointment, appointments)
        rows_copy(ProgramMeeting, meetings)
        enrollment_first = ids_reserve(Enrollment, len(enrollments))
        for n, row in enumerate(enrollments):
            row["id"] = enrollment_first + n
        rows_copy(Enrollment, enrollments)
        enrollment_of = {(r["program_id"], r["patient_id"]): r["id"] for r in enrollments}
        charges = []
        for program_id, roster, program_meetings in patients_by_program:
            for meeting_id, appointment_id, start, past in program_meetings:
                if not past:
                    continue
                for p in roster:
                    status = AttendanceStatus.ATTENDED if rng.random() < 0.85 else AttendanceStatus.NO_SHOW
                    attendance.append(
                        {
                            "meeting_id": meeting_id,
                            "enrollment_id": enrollment_of[(program_id, self.patient_ids[p])],
                            "status": status,
                            "recorded_by_id": self.front_desk.pk,
                        }
                    )
                    if status == AttendanceStatus.ATTENDED:
                        on = start.astimezone(clock.clinic_tz()).date()
                        config = self._config(on)
                        full = config.full_fee(group.pk)
                        amount, class_code, class_label, assessment_id = self._price(p, full, on, config)
                        charges.append(
                            {
                                "patient_id": self.patient_ids[p],
                                "kind": ChargeKind.GROUP,
                                "appointment_id": appointment_id,
                                "service_type_id": group.pk,
                                "therapist_id": None,
                                "service_date": on,
                                "description": f"{group.name} ({group.code})",
                                "full_fee": full,
                                "amount": amount,
                                "class_code": class_code,
                                "class_label": class_label,
                                "assessment_id": assessment_id,
                                "posted_at": start + dt.timedelta(hours=2),
                                "posted_by_id": None,
                            }
                        )
        attendance_first = ids_reserve(Attendance, len(attendance))
        rows_copy(Attendance, ({"id": attendance_first + n, **row} for n, row in enumerate(attendance)))
        charge_first = ids_reserve(Charge, len(charges))
        rows_copy(Charge, ({"id": charge_first + n, **row} for n, row in enumerate(charges)))
        waitlisted = sum(1 for r in enrollments if r["status"] == EnrollmentStatus.WAITLISTED)
        self._step(
            "group programs",
            started,
            programs=count,
            group_meetings=len(meetings),
            enrollments=len(enrollments),
            waitlisted=waitlisted,
            attendance=len(attendance),
        )
