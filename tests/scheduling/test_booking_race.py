"""Fifty front-desk requests for one slot at the same instant: exactly one books, 49 get a 409 naming it."""

import pytest
from rest_framework.test import APIClient

from apps.scheduling.models import Appointment, AppointmentStatus
from tests.factories import PatientFactory, api_token_for
from tests.locking import at_once

from .conftest import MONDAY, at

REQUESTS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_bookings_of_one_slot_give_one_success_and_49_conflicts(clinic):
    token = api_token_for(clinic.front_desk)
    patients = [PatientFactory() for _ in range(REQUESTS)]
    start = at(MONDAY, 10).isoformat()

    def request(patient):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        body = {
            "therapist": clinic.therapist.pk,
            "patient": patient.pk,
            "service_type": clinic.individual.pk,
            "room": clinic.willow.pk,
            "start": start,
        }
        return lambda: client.post("/api/appointments/", body, format="json")

    responses = at_once(*[request(p) for p in patients])
    answers = [(response.status_code, response.json()) for response in responses]

    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * (REQUESTS - 1)
    [winner] = Appointment.objects.filter(status=AppointmentStatus.BOOKED)
    for status, body in answers:
        if status == 409:
            conflict = body["error"]["conflicting_appointment"]
            assert conflict["id"] == winner.pk
            assert set(conflict["collides_on"]) == {"therapist", "room"}
