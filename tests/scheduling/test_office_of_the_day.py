"""A therapist who works at two offices: a session booked without naming a place (telehealth, or no room yet) is at
the office whose working hours hold its time, on that office's clock, by the same rule in the API, the booking
form, a weekly series and online booking."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from apps.core import clock
from apps.scheduling import selectors, services
from apps.scheduling.models import Appointment, Location, WorkingHours
from tests.factories import PatientFactory, TherapistFactory
from tests.places import pacific_office

from .conftest import MONDAY

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
WEDNESDAY, FRIDAY = MONDAY + dt.timedelta(days=2), MONDAY + dt.timedelta(days=4)


@pytest.fixture
def commuter(clinic):
    """Main office (New York) Monday to Thursday 09:00-17:00; on Wednesday only the morning there and the afternoon
    at the Pasadena office 12:00-16:00 Pacific; Fridays at Pasadena 09:00-17:00 Pacific."""
    therapist = TherapistFactory(first_name="Cam", last_name="Muter")
    main, pasadena = Location.main(), pacific_office()
    for weekday in range(4):
        end = dt.time(12) if weekday == 2 else dt.time(17)
        WorkingHours.objects.create(
            therapist=therapist, location=main, weekday=weekday, start_time=dt.time(9), end_time=end
        )
    for weekday, start, end in ((2, dt.time(12), dt.time(16)), (4, dt.time(9), dt.time(17))):
        WorkingHours.objects.create(
            therapist=therapist, location=pasadena, weekday=weekday, start_time=start, end_time=end
        )
    therapist.pasadena, therapist.main = pasadena, main
    return therapist


@pytest.mark.parametrize(
    ("day", "hour", "zone", "office"),
    [
        (MONDAY, 10, None, "main"),
        (WEDNESDAY, 10, None, "main"),
        (WEDNESDAY, 13, LA, "pasadena"),
        (FRIDAY, 10, LA, "pasadena"),
        # Outside the hours, the office kept that weekday (on its own clock): a Friday evening is still Pasadena's.
        (FRIDAY, 18, LA, "pasadena"),
        # A weekday with no hours anywhere: the office with most of the week's hours.
        (MONDAY + dt.timedelta(days=5), 10, None, "main"),
    ],
)
def test_a_telehealth_session_booked_through_the_api_is_at_the_office_of_its_time(
    clinic, login, commuter, day, hour, zone, office
):
    start = clock.local_datetime(day, dt.time(hour), zone)
    body = {
        "therapist": commuter.pk,
        "patient": clinic.patient.pk,
        "service_type": clinic.individual.pk,
        "is_telehealth": True,
        "start": start.isoformat(),
        "override_reason": "Asked for it",
    }
    response = login(clinic.front_desk, api=True).post("/api/appointments/", body, format="json")
    assert response.status_code == 201, response.content
    appointment = Appointment.objects.get(pk=response.json()["id"])
    assert appointment.location == getattr(commuter, office)
    assert appointment.local_start.hour == hour and appointment.start == start


def test_the_selectors_read_a_moment_and_a_typed_time_alike(commuter):
    for day, time in ((FRIDAY, dt.time(10)), (WEDNESDAY, dt.time(13)), (WEDNESDAY, dt.time(10)), (MONDAY, dt.time(8))):
        office = selectors.therapist_office_on(commuter, day, time)
        assert selectors.therapist_office_at(commuter, clock.local_datetime(day, time, office.zone)) == office


def test_the_booking_form_reads_a_friday_time_on_the_office_of_that_day_and_needs_no_override(clinic, login, commuter):
    form = {
        "therapist": commuter.pk,
        "patient": clinic.patient.pk,
        "service_type": clinic.individual.pk,
        "date": FRIDAY.isoformat(),
        "time": "10:00",
    }
    response = login(clinic.front_desk).post("/schedule/appointments/new/", form)
    assert response.status_code == 302, response.context["form"].errors
    appointment = Appointment.objects.get()
    assert appointment.location == commuter.pasadena and appointment.override_reason == ""
    assert appointment.start == clock.local_datetime(FRIDAY, dt.time(10), LA)


def test_a_weekly_series_on_her_pasadena_afternoon_is_booked_there_at_pacific_time(clinic, commuter):
    result = services.series_book(
        actor=clinic.front_desk,
        therapist=commuter,
        patient=PatientFactory(),
        service_type=clinic.individual,
        first_date=WEDNESDAY,
        local_start_time=dt.time(13),
        occurrence_count=4,
    )
    assert result.series.location == commuter.pasadena
    assert [a.local_start.time() for a in result.booked] == [dt.time(13)] * 4
    assert all(a.location == commuter.pasadena and not a.override_reason for a in result.booked)
    assert result.booked[0].start == clock.local_datetime(WEDNESDAY, dt.time(13), LA)
