"""The demo sessions load through the services and a second run changes nothing."""

import io

import pytest

from apps.scheduling import demo, demo_appointments
from apps.scheduling.models import Appointment, AppointmentSeries, AppointmentStatus, Location
from tests.factories import PatientFactory, TherapistFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_demo_series_have_past_outcomes_and_reloading_is_idempotent(frozen_now):
    UserFactory(roles=["front_desk"])
    therapists = [TherapistFactory() for _ in range(2)]
    for index in range(6):
        PatientFactory(primary_therapist=therapists[index % 2])
    demo.seed(io.StringIO())
    demo_appointments.seed(io.StringIO())
    counts = (AppointmentSeries.objects.count(), Appointment.objects.count())
    assert counts[0] == 6 + 3 and counts[1] > 30  # three of the second therapist's patients at the West office
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert {AppointmentStatus.COMPLETED, AppointmentStatus.BOOKED} <= statuses
    assert Appointment.objects.filter(is_telehealth=True).exists()

    demo.seed(io.StringIO())
    demo_appointments.seed(io.StringIO())
    assert (AppointmentSeries.objects.count(), Appointment.objects.count()) == counts


def test_the_west_office_sessions_are_on_fridays_at_pacific_wall_clock_time(frozen_now):
    UserFactory(roles=["front_desk"])
    therapists = [TherapistFactory() for _ in range(2)]
    for index in range(4):
        PatientFactory(primary_therapist=therapists[index % 2])
    demo.seed(io.StringIO())
    demo_appointments.seed(io.StringIO())
    west = Location.objects.get(name=demo.WEST_OFFICE)
    sessions = Appointment.objects.filter(location=west).select_related("room")
    assert sessions and {a.therapist_id for a in sessions} == {therapists[1].pk}
    assert {a.room.location_id for a in sessions} == {west.pk}
    assert {(a.local_start.weekday(), a.local_start.strftime("%Z")[0]) for a in sessions} == {(4, "P")}
    assert {a.local_start.time() for a in sessions} <= set(demo_appointments.WEST_TIMES)
