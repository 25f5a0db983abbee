"""Every staff page under /patients/ refuses a patient, also for their own chart; the portal is theirs instead."""

import pytest

from apps.audit.models import AccessLog
from apps.patients.models import Patient

pytestmark = pytest.mark.django_db


def _pages(pk: int) -> list[tuple[str, str]]:
    return [
        ("get", "/patients/"),
        ("get", "/patients/new/"),
        ("post", "/patients/new/"),
        ("get", f"/patients/{pk}/"),
        ("get", f"/patients/{pk}/edit/"),
        ("post", f"/patients/{pk}/edit/"),
        ("post", f"/patients/{pk}/invite/"),
    ]


@pytest.mark.parametrize("index", range(7))
def test_a_patient_is_refused_every_staff_page_about_their_own_chart(personas, login, index):
    method, path = _pages(personas.patient.pk)[index]
    client = login(personas.patient_user)
    before = Patient.objects.get(pk=personas.patient.pk).updated_at

    response = getattr(client, method)(path, {"legal_last_name": "Changed", "pronouns": "she/her"})

    assert response.status_code in (403, 404)
    assert personas.patient.email not in response.content.decode()
    assert Patient.objects.get(pk=personas.patient.pk).updated_at == before


def test_the_refused_chart_page_is_logged_as_a_denied_read(personas, login):
    login(personas.patient_user).get(f"/patients/{personas.patient.pk}/")

    row = AccessLog.objects.get(action="chart_view", actor=personas.patient_user)
    assert (row.allowed, row.patient_id) == (False, personas.patient.pk)


def test_the_patient_still_reads_their_own_details_through_the_api(personas, login):
    response = login(personas.patient_user, api=True).get(f"/api/patients/{personas.patient.pk}/")

    assert response.status_code == 200
