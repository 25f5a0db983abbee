"""A second office three hours behind the clinic, for tests of sessions timed in their location's zone."""

import datetime as dt
from zoneinfo import ZoneInfo

from apps.core import clock
from apps.scheduling.models import Location
from tests.factories import RoomFactory

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def coming_thursday() -> dt.date:
    """A Thursday one to two weeks ahead in the clinic's calendar, whatever the day and hour now."""
    today = clock.local_now().date()
    return today + dt.timedelta(days=(3 - today.weekday()) % 7 + 7)


def pacific_office() -> Location:
    return Location.objects.create(
        name="Pasadena office",
        address_line1="200 Colorado Blvd",
        city="Pasadena",
        state="CA",
        postal_code="91101",
        time_zone="America/Los_Angeles",
        place_of_service="22",
    )


def pacific_room(location: Location):
    return RoomFactory(name="Sequoia", location=location)


def sao_paulo_office() -> Location:
    """An office whose zone has no lettered abbreviation: Python calls its clock "-03"."""
    return Location.objects.create(
        name="Paulista office",
        address_line1="Avenida Paulista 1000",
        city="São Paulo",
        state="SP",
        postal_code="01310-100",
        time_zone="America/Sao_Paulo",
        place_of_service="22",
    )
