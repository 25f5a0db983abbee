"""Demo programs: a full 10-week TMS recovery group with a waitlist and an open seat offer, and a lecture series
with free seats. Keyed on the program title; running again changes nothing."""

import datetime as dt

from apps.accounts.disciplines import Discipline
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import therapists_of
from apps.core import clock
from apps.core.errors import Conflict
from apps.patients.models import Patient
from apps.programs.services.seats import enrollment_withdraw, program_enroll
from apps.programs.services.setup import program_create
from apps.scheduling.models import Room, ServiceType

from .models import GroupProgram

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
    },
]


def _next(weekday: int, *, weeks_ahead: int) -> dt.date:
    today = clock.local_now().date()
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)


def _create(spec: dict, facilitator, admin) -> GroupProgram | None:
    group = ServiceType.objects.get(code="90853")
    room = Room.objects.get(name=spec["room"]) if spec["room"] else None
    for weekday, at in TIMES:
        try:
            return program_create(
                actor=admin,
                title=spec["title"],
                description=spec["description"],
                lead_facilitator=facilitator,
                service_type=group,
                capacity=spec["capacity"],
                enrollment_opens_on=clock.local_now().date() - dt.timedelta(days=14),
                room=room,
                is_telehealth=room is None,
                local_start_time=at,
                first_meeting_on=_next(weekday, weeks_ahead=1),
                meeting_count=spec["meeting_count"],
                outcome_questionnaires=["pain_nrs", "phq9"],
                override_reason=EVENING,
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
        members = others[index * 10 : index * 10 + spec["enrolled"] + spec["waiting"]]
        if spec["waiting"]:
            members.insert(spec["enrolled"] + 2, portal_patient)
        enrollments = [program_enroll(actor=front_desk, program=program, patient=p) for p in members]
        if spec["waiting"]:
            # One member moved away: the seat is offered to the first in line, who has 48 hours to answer.
            enrollment_withdraw(actor=front_desk, enrollment=enrollments[0], reason="Moved out of state")
    out.write(f"Programs: {', '.join(spec['title'] for spec in PROGRAMS)} (the group is full, with a waitlist)")
