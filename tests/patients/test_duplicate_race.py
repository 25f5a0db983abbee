"""Two front-desk people register the same person at the same instant: one chart is created, the other is asked."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.patients.models import Patient
from tests.factories import api_token_for

REQUESTS = 8


@pytest.mark.django_db(transaction=True)
def test_simultaneous_registrations_of_one_person_create_one_chart(personas):
    token = api_token_for(personas.front_desk)
    body = {"legal_first_name": "Rosa", "legal_last_name": "Quintero", "date_of_birth": "1979-03-04"}
    barrier = threading.Barrier(REQUESTS)
    statuses: list[int] = []
    lock = threading.Lock()

    def register():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait()
            response = client.post("/api/patients/", body, format="json")
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=register) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [201] + [409] * (REQUESTS - 1)
    assert Patient.objects.filter(legal_last_name="Quintero").count() == 1
