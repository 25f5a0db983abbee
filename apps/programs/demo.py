"""Demo programs: a full 10-week TMS recovery group with a waitlist and an open seat offer, a lecture series
with free seats, and a public lecture series whose registrants include one who later became a patient. Keyed on the
program title. Run again later, attendance is taken at the meetings that have ended since; run again at the same
instant, nothing changes."""

import datetime as dt
from decimal import Decimal

from apps.accounts.disciplines import Discipline
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import therapists_of
from apps.billing.demo import FEE_START
from apps.billing.models import FeeSchedule
from apps.billing.services.configuration import fee_schedule_set
from apps.core import clock
from apps.core.errors import Conflict
from apps.patients.models import Patient
from apps.patients.services import patient_create
from apps.programs.selectors import meeting_attendance_sheet
from apps.programs.services.attendance import attendance_record_many
from apps.programs.services.formation import interest_register, program_call_off, program_propose
from apps.programs.services.lecture_terms import lecture_service_type
from apps.programs.services.lectures import lecture_register
from apps.programs.services.seats import enrollment_withdraw, program_enroll
from apps.programs.services.setup import program_create
from apps.scheduling.demo_appointments import SERIES_PATIENTS
from apps.scheduling.models import BLOCKING_STATUSES, Room, ServiceType

from .models import AttendanceStatus, GroupProgram, LectureFeeMode, ProgramKind, ProgramMeeting

EVENING = "Evening group outside regular hours"
# Weekday and start time to try in turn, so the demo's own sessions never block a program.
TIMES = [(1, dt.time(18, 0)), (3, dt.time(18, 0)), (2, dt.time(18, 30)), (0, dt.time(19, 0))]
PROGRAMS = [
    {
        "title": "10-week TMS recovery group",
        "description": (
            "Ten weekly meetings for people whose pain has an emotional driver: how tension myositis syndrome "
            "works, journaling, and working through what comes up, together with others on the same path."
        ),
        "capacity": 8,
        "meeting_count": 10,
        "room": "Group room",
        "enrolled": 8,
        "waiting": 4,
    },
    {
        "title": "Knowledge-therapy lecture series",
        "description": (
            "Six evening lectures on the mind-body approach to chronic pain, by video, with time for questions."
        ),
        "capacity": 30,
        "meeting_count": 6,
        "room": None,
        "enrolled": 5,
        "waiting": 0,
        # Education, free with donations: billed under the lecture service, never as group psychotherapy.
        "kind": ProgramKind.LECTURE,
        # Its members are patients the demo gives no weekly sessions (those come first by email), so the care
        # ladder's demo can place them on the lecture-series rung truthfully.
        "members_from": SERIES_PATIENTS - 1,
    },
]


def _next(weekday: int, *, weeks_ahead: int) -> dt.date:
    today = clock.local_now().date()
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)


def _create(spec: dict, facilitator, admin) -> GroupProgram | None:
    if spec.get("kind") == ProgramKind.LECTURE:
        terms = {
            "kind": ProgramKind.LECTURE,
            "service_type": lecture_service_type(),
            "fee_mode": LectureFeeMode.DONATION,
        }
    else:
        terms = {"service_type": ServiceType.objects.get(code="90853"), "outcome_questionnaires": ["pain_nrs", "phq9"]}
    room = Room.objects.get(name=spec["room"]) if spec["room"] else None
    for weekday, at in TIMES:
        try:
            return program_create(
                actor=admin,
                title=spec["title"],
                description=spec["description"],
                lead_facilitator=facilitator,
                capacity=spec["capacity"],
                enrollment_opens_on=clock.local_now().date() - dt.timedelta(days=14),
                room=room,
                is_telehealth=room is None,
                local_start_time=at,
                first_meeting_on=_next(weekday, weeks_ahead=1),
                meeting_count=spec["meeting_count"],
                override_reason=EVENING,
                **terms,
            )
        except Conflict:
            continue
    return None


def seed(out) -> None:
    therapists = list(therapists_of(discipline=Discipline.PSYCHOTHERAPY))
    admin = User.objects.filter(groups__name=Role.ADMIN).order_by("email").first()
    front_desk = User.objects.filter(groups__name=Role.FRONT_DESK).order_by("email").first() or admin
    patients = list(Patient.objects.filter(email__endswith="@clinic.test").order_by("email"))
    # The portal demo patient (patient01) waits second in line for the group, so the portal shows a place.
    portal_patient, others = patients[0], patients[1:]
    for index, spec in enumerate(PROGRAMS):
        if GroupProgram.objects.filter(title=spec["title"]).exists():
            continue
        program = _create(spec, therapists[index % len(therapists)], admin)
        if program is None:
            out.write(f"Program {spec['title']!r} not created: every candidate time is taken.")
            continue
        first = spec.get("members_from", index * 10)
        members = others[first : first + spec["enrolled"] + spec["waiting"]]
        if spec["waiting"]:
            members.insert(spec["enrolled"] + 2, portal_patient)
        enrollments = [program_enroll(actor=front_desk, program=program, patient=p) for p in members]
        if spec["waiting"]:
            # One member moved away: the seat is offered to the first in line, who has 48 hours to answer.
            enrollment_withdraw(actor=front_desk, enrollment=enrollments[0], reason="Moved out of state")
    out.write(f"Programs: {', '.join(spec['title'] for spec in PROGRAMS)} (the group is full, with a waitlist)")
    _public_lecture_seed(out, facilitator=therapists[-1], admin=admin, front_desk=front_desk)
    _seed_forming(therapists[0], admin, front_desk, portal_patient, others[20:])
    _planned_lecture_seed(out, facilitator=therapists[-1], admin=admin)
    taken = meetings_ended_attendance_take()
    if taken:
        out.write(f"Attendance: taken at {taken} meetings that ended since the last run")


def meetings_ended_attendance_take() -> int:
    """The facilitators take attendance at every meeting that has ended (before now, as the sessions' catch-up
    counts them), as of the meeting's end, so its charges are posted on the meeting's day: most members came, now
    and then one sent word or did not turn up (chosen by the member and the meeting, so every run chooses alike).
    A member already recorded is left as recorded, so a run again at the same instant records nothing. Returns the
    meetings whose attendance was taken."""
    meetings = (
        ProgramMeeting.objects.filter(appointment__end__lt=clock.now(), appointment__status__in=BLOCKING_STATUSES)
        .select_related("program__lead_facilitator", "appointment")
        .order_by("appointment__start", "pk")
    )
    taken = 0
    for meeting in meetings:
        sheet = [
            (enrollment, _attendance_of(meeting, enrollment))
            for enrollment, record in meeting_attendance_sheet(meeting=meeting)
            if record is None
        ]
        if not sheet:
            continue
        with clock.recorded_at(meeting.appointment.end):
            attendance_record_many(actor=meeting.program.lead_facilitator, meeting=meeting, records=sheet)
        taken += 1
    return taken


def _attendance_of(meeting: ProgramMeeting, enrollment) -> str:
    turn = meeting.pk + enrollment.pk
    if turn % 13 == 6:
        return AttendanceStatus.EXCUSED
    if turn % 17 == 9:
        return AttendanceStatus.NO_SHOW
    return AttendanceStatus.ATTENDED


PUBLIC_LECTURE = "Pain is real — and reversible"
REGISTRANTS = [
    ("Jordan Ellis", "jordan.ellis@public.test", "full"),
    ("Priya Raman", "priya.raman@public.test", "reduced"),
    ("Morgan Lee", "morgan.lee@public.test", "full"),
    ("Alex Novak", "alex.novak@public.test", "reduced"),
    ("Sam Ortiz", "sam.ortiz@public.test", "full"),
    ("Riley Chen", "riley.chen@public.test", "reduced"),
]


def _public_lecture_seed(out, *, facilitator, admin, front_desk) -> None:
    """Three evening lectures open to the public at a sliding price, nearly full: five registrants hold seats, one
    waits, and one registrant later opened a chart (linked to it by their email)."""
    if GroupProgram.objects.filter(title=PUBLIC_LECTURE).exists():
        return
    service = lecture_service_type()
    if not FeeSchedule.objects.filter(service_type=service).exists():
        fee_schedule_set(actor=admin, service_type=service, full_fee=Decimal("20.00"), effective_from=FEE_START)
    program = None
    for weekday, at in TIMES:
        try:
            program = program_create(
                actor=admin,
                title=PUBLIC_LECTURE,
                description=(
                    "Three evening lectures for anyone living with chronic back, neck or head pain: why pain with no "
                    "structural cause is real, how the brain learns it, and how it can be unlearned. Questions "
                    "welcome. No referral needed."
                ),
                kind=ProgramKind.LECTURE,
                fee_mode=LectureFeeMode.SLIDING,
                full_price=Decimal("20.00"),
                reduced_price=Decimal("5.00"),
                lead_facilitator=facilitator,
                service_type=service,
                capacity=5,
                enrollment_opens_on=clock.local_now().date() - dt.timedelta(days=7),
                room=None,
                is_telehealth=True,
                local_start_time=at,
                first_meeting_on=_next(weekday, weeks_ahead=2),
                meeting_count=3,
                override_reason=EVENING,
            )
            break
        except Conflict:
            continue
    if program is None:
        out.write(f"Program {PUBLIC_LECTURE!r} not created: every candidate time is taken.")
        return
    for name, email, tier in REGISTRANTS:
        lecture_register(program=program, name=name, email=email, fee_tier=tier, consent=True)
    # Jordan came to the front desk after registering: the new chart is linked to the registration, not copied.
    patient_create(
        actor=front_desk,
        legal_first_name="Jordan",
        legal_last_name="Ellis",
        date_of_birth=dt.date(1979, 6, 14),
        email=REGISTRANTS[0][1],
        confirm_duplicate=True,
    )
    out.write(f"Public lecture series: {PUBLIC_LECTURE} (5 seats taken, 1 waiting, 1 registrant linked to a chart)")


# Programs that form before they run: the spring cohort gathers interest close to its minimum; the winter group did
# not gather enough and was called off, its list moved to the spring cohort's in the order people joined.
SPRING = "TMS recovery group, spring cohort"
WINTER = "Mindfulness for pain, winter group"


def _propose(title: str, *, facilitator, admin, starts_in_days: int, minimum: int, capacity: int) -> GroupProgram:
    first = clock.local_now().date() + dt.timedelta(days=starts_in_days)
    return program_propose(
        actor=admin,
        title=title,
        description="A ten-week group that runs once enough people are interested.",
        lead_facilitator=facilitator,
        service_type=ServiceType.objects.get(code="90853"),
        capacity=capacity,
        enrollment_opens_on=clock.local_now().date(),
        room=None,
        is_telehealth=True,
        local_start_time=dt.time(18, 0),
        first_meeting_on=first,
        meeting_count=10,
        minimum_to_launch=minimum,
        decision_on=first - dt.timedelta(days=7),
    )


PLANNED_LECTURE = "Why pain persists: a planned spring series"
INTERESTED = [("Morgan Lee", "morgan.lee@public.test"), ("Dana Brooks", "dana.brooks@public.test")]


def _planned_lecture_seed(out, *, facilitator, admin) -> None:
    """A free lecture series still being planned: two visitors have joined its interest list from the public page."""
    if GroupProgram.objects.filter(title=PLANNED_LECTURE).exists():
        return
    first = _next(TIMES[0][0], weeks_ahead=8)
    program = program_propose(
        actor=admin,
        title=PLANNED_LECTURE,
        description=(
            "Four evening lectures on how the nervous system learns pain and how it unlearns it, planned for the "
            "spring. It runs if enough people are interested."
        ),
        kind=ProgramKind.LECTURE,
        fee_mode=LectureFeeMode.DONATION,
        lead_facilitator=facilitator,
        service_type=lecture_service_type(),
        capacity=30,
        enrollment_opens_on=clock.local_now().date(),
        room=None,
        is_telehealth=True,
        local_start_time=TIMES[0][1],
        first_meeting_on=first,
        meeting_count=4,
        minimum_to_launch=8,
        decision_on=first - dt.timedelta(days=14),
    )
    for name, email in INTERESTED:
        lecture_register(program=program, name=name, email=email, consent=True)
    out.write(f"Planned lecture series: {PLANNED_LECTURE} (2 on its interest list of the 8 it needs)")


def _seed_forming(facilitator, admin, front_desk, portal_patient, people) -> None:
    if GroupProgram.objects.filter(title__in=[SPRING, WINTER]).exists():
        return
    spring = _propose(SPRING, facilitator=facilitator, admin=admin, starts_in_days=45, minimum=10, capacity=12)
    winter = _propose(WINTER, facilitator=facilitator, admin=admin, starts_in_days=20, minimum=6, capacity=10)
    for patient in [portal_patient, *people[:4]]:
        interest_register(program=spring, patient=patient, actor=front_desk)
    for patient in people[4:7]:
        interest_register(program=winter, patient=patient, actor=front_desk)
    program_call_off(program=winter, reason="Only three people were interested by the decision date.", actor=admin)
