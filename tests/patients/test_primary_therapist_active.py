"""A chart's primary therapist is someone who can see the patient: an active therapist. The page offers only those;
the API and the chart services refuse a deactivated one the same way."""

import datetime as dt

import pytest

from apps.core.errors import Unprocessable
from apps.patients import services
from apps.patients.models import Patient

pytestmark = pytest.mark.django_db

NEW = {"legal_first_name": "Rosa", "legal_last_name": "Quintero", "date_of_birth": dt.date(1979, 3, 4)}


def _deactivated(therapist):
    therapist.is_active = False
    therapist.save(update_fields=["is_active"])
    return therapist


def test_the_service_refuses_a_deactivated_primary_therapist_on_a_new_chart(personas):
    gone = _deactivated(personas.other_therapist)
    with pytest.raises(Unprocessable) as refused:
        services.patient_create(actor=personas.front_desk, primary_therapist=gone, **NEW)
    assert "primary_therapist" in refused.value.fields
    assert not Patient.objects.filter(legal_last_name="Quintero").exists()


def test_the_api_refuses_a_deactivated_primary_therapist(personas, login):
    gone = _deactivated(personas.other_therapist)
    client = login(personas.front_desk, api=True)
    body = {**NEW, "date_of_birth": "1979-03-04", "primary_therapist": gone.pk}
    assert client.post("/api/patients/", body, format="json").status_code in {400, 422}
    answer = client.patch(f"/api/patients/{personas.patient.pk}/", {"primary_therapist": gone.pk}, format="json")
    assert answer.status_code in {400, 422}
    personas.patient.refresh_from_db()
    assert personas.patient.primary_therapist_id != gone.pk


def test_a_chart_whose_therapist_left_keeps_them_through_an_unrelated_edit(personas):
    _deactivated(personas.therapist)
    patient = services.patient_update(actor=personas.front_desk, patient=personas.patient, city="Salem")
    assert patient.city == "Salem" and patient.primary_therapist_id == personas.therapist.pk


def test_the_api_takes_a_full_edit_that_keeps_a_therapist_who_left(personas, login):
    client = login(personas.front_desk, api=True)
    chart = client.get(f"/api/patients/{personas.patient.pk}/").json()
    _deactivated(personas.therapist)
    body = {k: v for k, v in chart.items() if k in services.EDITABLE_FIELDS}
    answer = client.put(f"/api/patients/{personas.patient.pk}/", {**body, "city": "Salem"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["primary_therapist"] == personas.therapist.pk
