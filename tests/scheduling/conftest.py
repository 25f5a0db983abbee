"""Scheduling test helpers: a clinic with rooms, service types and therapists who work weekdays 08:00-20:00."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.billing.demo import config_seed
from apps.billing.models import PackageOffering
from apps.billing.services.packages import package_purchase
from apps.core import clock
from apps.patients.models import Patient, PatientStatus
from apps.scheduling import services
from apps.scheduling.models import WorkingHours
from tests.billing.helpers import approved_assessment
from tests.factories import RoomFactory, ServiceTypeFactory
from tests.locking import HeldElsewhere
from tests.places import pacific_office, pacific_room

# A Monday in the clinic's time zone (America/New_York), well clear of DST changes.
MONDAY = dt.date(2026, 6, 1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hour, minute))


def weekly_at_three(clinic, count: int = 4, **overrides):
    """The clinic's patient booked weekly on Mondays at 3 PM in the Willow room from MONDAY, `count` sessions."""
    return services.series_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        first_date=MONDAY,
        local_start_time=dt.time(15, 0),
        occurrence_count=count,
        room=clinic.willow,
        **overrides,
    )


def confirmation_dialog(response) -> str:
    """The body of an htmx answer that must be a confirmation dialog alone (200, so htmx swaps it in)."""
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith("<dialog") and "data-opens-modal" in body
    assert "<html" not in body
    return body


def give_working_hours(therapist, start=dt.time(8, 0), end=dt.time(20, 0), weekdays=range(5)) -> None:
    for weekday in weekdays:
        WorkingHours.objects.create(therapist=therapist, weekday=weekday, start_time=start, end_time=end)


@pytest.fixture
def frozen_now():
    """The clock stands at the Friday before MONDAY, 09:00 local."""
    with time_machine.travel(at(MONDAY - dt.timedelta(days=3), 9), tick=False) as traveller:
        yield traveller


@pytest.fixture
def clinic(personas, frozen_now):
    give_working_hours(personas.therapist)
    give_working_hours(personas.other_therapist)
    individual = ServiceTypeFactory()
    group = ServiceTypeFactory(code="90853", name="Group psychotherapy", duration_minutes=90, is_group=True)
    willow = RoomFactory(name="Willow")
    cedar = RoomFactory(name="Cedar")
    return SimpleNamespace(**vars(personas), individual=individual, group=group, willow=willow, cedar=cedar)


@pytest.fixture
def session(clinic):
    """One booked individual session: the therapist with the patient, MONDAY 10:00 in Willow."""
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=at(MONDAY, 10),
        room=clinic.willow,
    )


@pytest.fixture
def others_session(clinic):
    """The other therapist with the other patient at the same hour, in Cedar."""
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.other_therapist,
        patient=clinic.other_patient,
        service_type=clinic.individual,
        start=at(MONDAY, 10),
        room=clinic.cedar,
    )


@pytest.fixture
def priced(clinic, frozen_now):
    """The demo fees ($100 policy fee) and the patient in class C (150% of the guideline: 40% of full fees)."""
    config_seed()
    with time_machine.travel(at(MONDAY - dt.timedelta(days=60), 9), tick=False):
        approved_assessment(clinic.patient, household_size=4, income="49500")
    return clinic


@pytest.fixture
def packaged(priced):
    """The priced patient holds a ten-session package of the individual sessions' service."""
    offering = PackageOffering.objects.create(
        name="Ten sessions", service_type=priced.individual, session_count=10, full_price=Decimal("1500.00")
    )
    return package_purchase(actor=priced.billing, patient=priced.patient, offering=offering)


@pytest.fixture
def pasadena_session(clinic):
    """Monday 10:00 at the Pasadena office: 13:00 in the clinic's zone (America/New_York)."""
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=dt.datetime.combine(MONDAY, dt.time(10)).replace(tzinfo=ZoneInfo("America/Los_Angeles")),
        room=pacific_room(pacific_office()),
        override_reason="Visiting the Pasadena office",
    )


# The race tests' shared pieces (test_discharge_race, test_deactivation_race, test_booking_locks, programs'
# test_discharge): a therapist who works every hour, one booking helper, and a discharge held open elsewhere.
OVERRIDE = "Any hour the suite runs"


@pytest.fixture
def ready(personas):
    give_working_hours(personas.therapist, start=dt.time(0), end=dt.time(23, 59), weekdays=range(7))
    return ServiceTypeFactory()


def in_three_days() -> dt.datetime:
    return (clock.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)


def book(personas, service_type, patient, start):
    return services.appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=patient,
        service_type=service_type,
        start=start,
        override_reason=OVERRIDE,
    )


def discharge_held(patient_pk: int) -> HeldElsewhere:
    """A discharge in flight: the patient's row locked and written, not yet committed."""
    return HeldElsewhere(
        lambda: (
            Patient.objects.select_for_update()
            .filter(pk=patient_pk)
            .update(status=PatientStatus.DISCHARGED, discharged_on=clock.local_now().date())
        )
    )
