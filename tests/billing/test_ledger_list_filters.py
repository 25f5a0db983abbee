"""A ledger list narrowed to one patient (`?patient=`) refuses a value that is not a patient id with 400 and a
message, instead of answering every patient's rows."""

import pytest

from apps.billing.services.charges import charge_for_appointment_outcome
from tests.factories import PatientFactory

from .helpers import past_appointment

pytestmark = pytest.mark.django_db


def _charge_two_patients(personas, fee_config):
    for days, patient in ((1, personas.patient), (2, PatientFactory(primary_therapist=personas.therapist))):
        appointment = past_appointment(patient, service_type=fee_config["90834"], days_ago=days)
        charge_for_appointment_outcome(appointment=appointment, actor=None)


@pytest.mark.parametrize(
    "path", ["/api/charges/", "/api/payments/", "/api/statements/", "/api/sliding-scale/assessments/"]
)
@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "²", "9" * 40])
def test_a_bad_patient_id_is_refused_not_ignored(personas, fee_config, login, path, value):
    _charge_two_patients(personas, fee_config)
    response = login(personas.billing, api=True).get(path, {"patient": value})
    assert response.status_code == 400
    body = response.json()["error"]
    assert "patient" in body["fields"]
    assert body["message"]


def test_a_good_patient_id_narrows_the_list_to_that_patient(personas, fee_config, login):
    _charge_two_patients(personas, fee_config)
    response = login(personas.billing, api=True).get("/api/charges/", {"patient": personas.patient.pk})
    assert response.status_code == 200
    rows = response.json()["results"] if isinstance(response.json(), dict) else response.json()
    assert {row["patient"] for row in rows} == {personas.patient.pk}


def test_a_patient_id_narrows_the_sliding_scale_applications_to_that_patients(personas, fee_config, login):
    from decimal import Decimal

    from apps.billing.services.assessments import assessment_submit

    for patient in (personas.patient, personas.other_patient):
        assessment_submit(actor=None, patient=patient, household_size=1, annual_income=Decimal("12000"))
    client = login(personas.billing, api=True)
    every = client.get("/api/sliding-scale/assessments/").json()["results"]
    assert {row["patient"] for row in every} == {personas.patient.pk, personas.other_patient.pk}
    response = client.get("/api/sliding-scale/assessments/", {"patient": personas.patient.pk})
    assert response.status_code == 200
    assert {row["patient"] for row in response.json()["results"]} == {personas.patient.pk}
    own = login(personas.patient_user, api=True).get(
        "/api/sliding-scale/assessments/", {"patient": personas.other_patient.pk}
    )
    assert own.status_code == 200 and own.json()["results"] == []
