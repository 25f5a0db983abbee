"""The migration that gives every weekly time freed before it the office it is at.

Migrations run as the owner role, so this module connects as the owner. The test steps the schema back to before the
column, inside the test's transaction: rolling it back at the end puts the schema back as it was."""

import datetime as dt

import pytest

from apps.scheduling.models import Location, WorkingHours
from apps.scheduling.services import series_book
from apps.waitlist.models import FreedSlot
from tests.factories import RoomFactory, ServiceTypeFactory
from tests.migrating import migrate_to

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_as_owner")]

BEFORE = ("waitlist", "0003_slot_offer_withdrawn_when_its_time_is_booked")
AFTER = ("waitlist", "0004_freed_slot_keeps_its_office")


def test_times_freed_before_take_their_series_office_else_their_rooms_else_their_therapists(personas):
    west = Location.objects.create(name="West office", time_zone="America/Los_Angeles")
    WorkingHours.objects.create(
        therapist=personas.therapist, location=west, weekday=4, start_time=dt.time(9), end_time=dt.time(17)
    )
    series = series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.other_patient,
        service_type=ServiceTypeFactory(),
        first_date=dt.date(2027, 1, 8),  # a Friday
        local_start_time=dt.time(10),
        is_telehealth=True,
        occurrence_count=1,
        allow_past=True,
    ).series
    assert series.location == west
    garden = RoomFactory(location=west)
    executor = migrate_to(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("waitlist", "FreedSlot")
    common = {"therapist_id": personas.therapist.pk, "duration_minutes": 45, "free_from": dt.date(2027, 1, 15)}
    from_series = old.objects.create(
        series_id=series.pk, weekday=4, local_start_time=dt.time(10), is_telehealth=True, **common
    )
    from_room = old.objects.create(room_id=garden.pk, weekday=1, local_start_time=dt.time(10), **common)
    from_hours = old.objects.create(weekday=4, local_start_time=dt.time(16), is_telehealth=True, **common)
    elsewhere = old.objects.create(weekday=2, local_start_time=dt.time(10), is_telehealth=True, **common)

    migrate_to(AFTER)

    offices = dict(FreedSlot.objects.values_list("pk", "location_id"))
    assert offices[from_series.pk] == offices[from_room.pk] == offices[from_hours.pk] == west.pk
    assert offices[elsewhere.pk] == Location.main().pk
