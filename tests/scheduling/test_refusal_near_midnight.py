"""A late evening at the Los Angeles office is already the next day in New York: a refusal that reads the therapist's
hours at the main office reads them on the weekday its own clock is on, and says the time on that clock too, at any
hour the tests run (the sessions are on the coming Thursday and the Wednesday before it)."""

import datetime as dt

import pytest

from apps.core import clock
from apps.core.errors import Unprocessable
from apps.scheduling import services
from apps.scheduling.models import Location, WorkingHours
from tests.factories import ServiceTypeFactory
from tests.places import LOS_ANGELES, coming_thursday, pacific_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def west(personas):
    """The therapist works Thursdays 9:00 AM–6:00 PM at the main office, on New York's clock, and nowhere else."""
    WorkingHours.objects.create(
        therapist=personas.therapist, location=Location.main(), weekday=3, start_time=dt.time(9), end_time=dt.time(18)
    )
    return pacific_office()


def _refusal(personas, office, day: dt.date, hour: int, minute: int = 0) -> str:
    with pytest.raises(Unprocessable) as caught:
        services.appointment_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=personas.patient,
            service_type=ServiceTypeFactory(),
            start=clock.local_datetime(day, dt.time(hour, minute), LOS_ANGELES),
            location=office,
        )
    return caught.value.message


def test_a_thursday_night_in_los_angeles_is_read_against_fridays_in_new_york(personas, west):
    assert _refusal(personas, west, coming_thursday(), 22) == (
        "10:00 PM–10:45 PM Los Angeles time (Fri 1:00 AM–1:45 AM New York time) is outside Theo Rapist's working "
        "hours: none on Thursdays at Pasadena office, nor on Fridays at Main office. Give an override reason to book "
        "anyway."
    )


def test_a_wednesday_night_in_los_angeles_is_her_thursday_in_new_york_not_a_day_she_does_not_work(personas, west):
    wednesday = coming_thursday() - dt.timedelta(days=1)
    assert _refusal(personas, west, wednesday, 21, 30) == (
        "9:30 PM–10:15 PM Los Angeles time (Thu 12:30 AM–1:15 AM New York time) is outside Theo Rapist's working "
        "hours (Thursdays 9:00 AM–6:00 PM New York time at Main office). Give an override reason to book anyway."
    )
