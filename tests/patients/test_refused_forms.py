"""The new-patient and edit-chart pages refuse as every form does: sent empty, the page comes back with its error
summary and the reason, 422, and no chart is created or changed."""

import pytest

from apps.patients.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

SUMMARY = 'id="error-summary"'


def _refused(response, reason: str) -> None:
    html = response.content.decode()
    assert response.status_code == 422
    assert SUMMARY in html and reason in html


def test_a_new_chart_sent_empty_is_refused_and_none_is_created(personas, login):
    charts = Patient.objects.count()
    _refused(login(personas.front_desk).post("/patients/new/", {}), "This field is required.")
    assert Patient.objects.count() == charts


def test_a_chart_emptied_is_refused_and_keeps_its_name(personas, login):
    patient = PatientFactory(legal_first_name="Rosa", legal_last_name="Quintero")
    _refused(login(personas.front_desk).post(f"/patients/{patient.pk}/edit/", {}), "This field is required.")
    patient.refresh_from_db()
    assert (patient.legal_first_name, patient.legal_last_name) == ("Rosa", "Quintero")
