"""Demo locations, rooms, service types and therapists' working hours.

Besides the main office (in the clinic's zone) there is a West office in Los Angeles, where one therapist works on
Fridays: its sessions are booked and shown in Pacific time.
"""

import datetime as dt

from apps.accounts.disciplines import Discipline, discipline_of
from apps.accounts.models import User
from apps.accounts.roles import Role

from .models import Location, LocationHours, Room, ServiceType, Weekday, WorkingHours

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
WEST_OFFICE = "West office"
WEST_ROOMS = [("Redwood", 1), ("Sequoia", 1)]
WEST_DAY = Weekday.FRIDAY
WEST_HOURS = (dt.time(9, 0), dt.time(17, 0))  # Pacific time


def west_office() -> Location:
    west, _ = Location.objects.get_or_create(
        name=WEST_OFFICE,
        defaults={
            "address_line1": "1200 Ocean Park Blvd",
            "city": "Santa Monica",
            "state": "CA",
            "postal_code": "90405",
            "phone": "+13105550123",
            "time_zone": "America/Los_Angeles",
        },
    )
    return west


def west_therapist(therapists: list[User]) -> User | None:
    """The psychotherapist who works at the West office on Fridays: the first with no Friday at the main office
    (every other one, see `seed`), so the two never overlap; their own patients have sessions there."""
    return next(
        (t for t in therapists[1::2] if discipline_of(t) == Discipline.PSYCHOTHERAPY),
        None,
    )


def seed(out) -> None:
    for code, name, minutes, is_group, discipline in SERVICE_TYPES:
        ServiceType.objects.update_or_create(
            code=code,
            defaults={"name": name, "duration_minutes": minutes, "is_group": is_group, "discipline": discipline},
        )
    main = Location.main()
    if not main.address_line1:  # the clinic's own address (accounts.demo), as its admin would enter it
        Location.objects.filter(pk=main.pk).update(
            address_line1="120 Harbor Street",
            address_line2="Suite 4",
            city="Boston",
            state="MA",
            postal_code="02110",
        )
    for name, capacity in ROOMS:
        Room.objects.update_or_create(location=main, name=name, defaults={"capacity": capacity})
    west = west_office()
    for name, capacity in WEST_ROOMS:
        Room.objects.update_or_create(location=west, name=name, defaults={"capacity": capacity})
    for location, closes in ((main, dt.time(20, 0)), (west, dt.time(18, 0))):
        for weekday in range(5):
            LocationHours.objects.get_or_create(
                location=location, weekday=weekday, defaults={"opens": dt.time(8, 0), "closes": closes}
            )
    therapists = list(User.objects.filter(groups__name=Role.THERAPIST).order_by("email"))
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
    if (therapist := west_therapist(therapists)) is not None:
        WorkingHours.objects.get_or_create(
            therapist=therapist,
            location=west,
            weekday=WEST_DAY,
            start_time=WEST_HOURS[0],
            defaults={"end_time": WEST_HOURS[1]},
        )
    rooms = ", ".join(name for name, _ in ROOMS + WEST_ROOMS)
    out.write(f"Locations: {main.name}, {west.name}; rooms: {rooms}; service types: {len(SERVICE_TYPES)}")
