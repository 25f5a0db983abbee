"""Two patients confirm the same slot at the same instant: one is booked, the other gets a clear 409."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.accounts.roles import Role
from apps.scheduling.models import Appointment, AppointmentStatus
from tests.factories import PatientFactory, UserFactory

from .conftest import MONDAY, at


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_bookings_of_one_slot_give_one_booking_and_one_conflict(booking):
    patients = [booking.newcomer_user]
    second = UserFactory(email="second@example.test", roles=[Role.PATIENT])
    PatientFactory(user=second)
    patients.append(second)
    barrier = threading.Barrier(len(patients))
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def confirm(user):
        client = APIClient()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        body = {"therapist": booking.therapist.pk, "start": at(MONDAY, 10).isoformat()}
        try:
            barrier.wait()
            response = client.post("/api/self-booking/book/", body, format="json")
            with lock:
                answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(user,)) for user in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(status for status, _ in answers) == [201, 409]
    [winner] = Appointment.objects.filter(status=AppointmentStatus.BOOKED)
    [(_, lost)] = [(s, body) for s, body in answers if s == 409]
    assert "already has a session" in lost["error"]["message"]
    assert lost["error"]["conflicting_appointment"]["id"] == winner.pk
