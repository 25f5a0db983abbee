"""Demo rooms, service types and therapists' working hours."""

import datetime as dt

from apps.accounts.disciplines import Discipline
from apps.accounts.models import User
from apps.accounts.roles import Role

from .models import Room, ServiceType, WorkingHours

PSYCHOTHERAPY, BODYWORK = Discipline.PSYCHOTHERAPY, Discipline.BODYWORK
SERVICE_TYPES = [
    ("90791", "Intake assessment", 60, False, PSYCHOTHERAPY),
    ("90834", "Individual psychotherapy, 45 min", 45, False, PSYCHOTHERAPY),
    ("90837", "Individual psychotherapy, 60 min", 60, False, PSYCHOTHERAPY),
    ("90853", "Group psychotherapy", 90, True, PSYCHOTHERAPY),
    ("97124", "Massage therapy, each 15 minutes", 15, False, BODYWORK),
    # The partner massage therapists' program session; not a CPT code, so it never reads as a billed 97124 unit.
    ("RLX60", "Relaxation massage, 60 min", 60, False, BODYWORK),
]
ROOMS = [("Willow", 1), ("Cedar", 1), ("Birch", 1), ("Group room", 14), ("Lotus (massage)", 1)]


def seed(out) -> None:
    for code, name, minutes, is_group, discipline in SERVICE_TYPES:
        ServiceType.objects.update_or_create(
            code=code,
            defaults={"name": name, "duration_minutes": minutes, "is_group": is_group, "discipline": discipline},
        )
    for name, capacity in ROOMS:
        Room.objects.update_or_create(name=name, defaults={"capacity": capacity})
    therapists = User.objects.filter(groups__name=Role.THERAPIST).order_by("email")
    for index, therapist in enumerate(therapists):
        # Monday to Thursday for everyone, plus Friday mornings for half the team.
        for weekday in range(4):
            WorkingHours.objects.get_or_create(
                therapist=therapist, weekday=weekday, start_time=dt.time(9, 0), defaults={"end_time": dt.time(18, 0)}
            )
        if index % 2 == 0:
            WorkingHours.objects.get_or_create(
                therapist=therapist, weekday=4, start_time=dt.time(9, 0), defaults={"end_time": dt.time(13, 0)}
            )
    out.write(f"Rooms: {', '.join(name for name, _ in ROOMS)}; service types: {len(SERVICE_TYPES)}")
