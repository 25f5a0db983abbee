"""Two patients confirm the same slot at the same instant: one is booked, the other gets a clear 409."""

import pytest
from rest_framework.test import APIClient

from apps.accounts.roles import Role
from apps.scheduling.models import Appointment, AppointmentStatus
from tests.factories import PatientFactory, UserFactory
from tests.locking import at_once

from .conftest import MONDAY, at


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_bookings_of_one_slot_give_one_booking_and_one_conflict(booking):
    patients = [booking.newcomer_user]
    second = UserFactory(email="second@example.test", roles=[Role.PATIENT])
    PatientFactory(user=second)
    patients.append(second)
    body = {"therapist": booking.therapist.pk, "start": at(MONDAY, 10).isoformat()}
    clients = [APIClient() for _ in patients]
    for client, user in zip(clients, patients, strict=True):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    responses = at_once(
        *[lambda client=client: client.post("/api/self-booking/book/", body, format="json") for client in clients]
    )
    answers = [(response.status_code, response.json()) for response in responses]

    assert sorted(status for status, _ in answers) == [201, 409]
    [winner] = Appointment.objects.filter(status=AppointmentStatus.BOOKED)
    [(_, lost)] = [(s, body) for s, body in answers if s == 409]
    assert "already has a session" in lost["error"]["message"]
    assert lost["error"]["conflicting_appointment"]["id"] == winner.pk
