"""Online booking helpers: the therapist works weekdays 09:00-17:00 with online booking on; the clinic prices
its services (intake $250, individual $200). Times are built from a fixed future week, never the wall clock."""

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine

from apps.accounts.models import TherapistProfile
from apps.accounts.roles import Role
from apps.billing.demo import config_seed
from apps.core import clock
from apps.scheduling.models import WorkingHours
from apps.scheduling.services import appointment_book
from tests.factories import PatientFactory, ServiceTypeFactory, UserFactory

# A Monday in the clinic's time zone (America/New_York), well clear of DST changes.
MONDAY = dt.date(2026, 6, 1)
WEEK_BEFORE = MONDAY - dt.timedelta(days=7)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hour, minute))


def work_weekdays(therapist, start=dt.time(9, 0), end=dt.time(17, 0)) -> None:
    for weekday in range(5):
        WorkingHours.objects.create(therapist=therapist, weekday=weekday, start_time=start, end_time=end)


def online_booking(therapist, *, on: bool = True, new_patients: bool = True) -> None:
    TherapistProfile.objects.filter(user=therapist).update(self_booking=on, accepts_new_patients=new_patients)
    therapist.refresh_from_db()


@pytest.fixture
def frozen_now():
    """The clock stands at the Monday before MONDAY, 09:00 local: MONDAY's week is inside the default window."""
    with time_machine.travel(at(WEEK_BEFORE, 9), tick=False) as traveller:
        yield traveller


@pytest.fixture
def booking(personas, frozen_now):
    """The therapist takes first sessions online; a newcomer (a patient with no therapist yet) books."""
    work_weekdays(personas.therapist)
    work_weekdays(personas.other_therapist)
    online_booking(personas.therapist)
    intake = ServiceTypeFactory(code="90791", name="Intake assessment", duration_minutes=60)
    individual = ServiceTypeFactory(code="90834", name="Individual psychotherapy, 45 min", duration_minutes=45)
    config_seed()
    newcomer_user = UserFactory(email="newcomer@example.test", roles=[Role.PATIENT])
    newcomer = PatientFactory(user=newcomer_user, legal_first_name="Nia", legal_last_name="Newcomer")
    return SimpleNamespace(
        **vars(personas), intake=intake, individual=individual, newcomer_user=newcomer_user, newcomer=newcomer
    )


@pytest.fixture
def session(booking):
    """The patient's 45-minute session with their therapist, MONDAY 10:00, booked by the front desk."""
    return appointment_book(
        actor=booking.front_desk,
        therapist=booking.therapist,
        patient=booking.patient,
        service_type=booking.individual,
        start=at(MONDAY, 10),
    )
