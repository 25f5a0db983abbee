"""The demo sessions load through the services and a second run changes nothing."""

import io

import pytest

from apps.scheduling import demo, demo_appointments
from apps.scheduling.models import Appointment, AppointmentSeries, AppointmentStatus
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
    assert counts[0] == 6 and counts[1] > 30
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert {AppointmentStatus.COMPLETED, AppointmentStatus.BOOKED} <= statuses
    assert Appointment.objects.filter(is_telehealth=True).exists()

    demo.seed(io.StringIO())
    demo_appointments.seed(io.StringIO())
    assert (AppointmentSeries.objects.count(), Appointment.objects.count()) == counts
