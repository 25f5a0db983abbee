"""Two front-desk people register the same person at the same instant: one chart is created, the other is asked."""

import pytest
from rest_framework.test import APIClient

from apps.patients.models import Patient
from tests.factories import api_token_for
from tests.locking import at_once

REQUESTS = 8


@pytest.mark.django_db(transaction=True)
def test_simultaneous_registrations_of_one_person_create_one_chart(personas):
    token = api_token_for(personas.front_desk)
    body = {"legal_first_name": "Rosa", "legal_last_name": "Quintero", "date_of_birth": "1979-03-04"}
    clients = [APIClient() for _ in range(REQUESTS)]
    for client in clients:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    responses = at_once(
        *[lambda client=client: client.post("/api/patients/", body, format="json") for client in clients]
    )
    statuses = [response.status_code for response in responses]

    assert sorted(statuses) == [201] + [409] * (REQUESTS - 1)
    assert Patient.objects.filter(legal_last_name="Quintero").count() == 1
