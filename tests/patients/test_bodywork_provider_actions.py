"""A massage and bodywork provider treating the patient opens the chart, books their own sessions and reads their
own notes, but does not end the patient's care, change their details or record a medical clearance: those are the
front desk's, administrators' and the patient's psychotherapists' (DESIGN.md, roles). The page offers only what the
server allows, by the same rules."""

import pytest

from apps.core.errors import PermissionDenied
from apps.patients.models import Patient, PatientStatus
from apps.referrals.models import ClearanceDocument
from apps.referrals.services import clearance_record
from tests.referrals.conftest import clearance_pdf

pytestmark = pytest.mark.django_db


def test_the_patient_page_offers_a_bodywork_provider_only_what_they_may_do(personas, login, bodywork_provider):
    page = login(bodywork_provider).get(f"/patients/{personas.patient.pk}/").content.decode()

    assert "Book a session" in page and "Clinical chart" in page
    for offered in (
        "Edit details",
        "Discharge…",
        "Reactivate",
        "Medical clearance",
        f"/patients/{personas.patient.pk}/edit/",
    ):
        assert offered not in page, offered


def test_a_bodywork_provider_may_not_change_the_patients_details(personas, login, bodywork_provider):
    pk = personas.patient.pk
    page, api = login(bodywork_provider), login(bodywork_provider, api=True)

    assert page.get(f"/patients/{pk}/edit/").status_code in (403, 404)
    page.post(f"/patients/{pk}/edit/", {"legal_first_name": "Changed"})
    assert api.patch(f"/api/patients/{pk}/", {"legal_first_name": "Changed"}, format="json").status_code == 403
    assert Patient.objects.get(pk=pk).legal_first_name == "Pat"


def test_a_bodywork_provider_may_not_discharge_the_patient(personas, login, bodywork_provider):
    pk = personas.patient.pk
    page, api = login(bodywork_provider), login(bodywork_provider, api=True)

    assert page.get(f"/patients/{pk}/discharge/").status_code in (403, 404)
    page.post(f"/patients/{pk}/discharge/", {"confirmed": "yes"})
    assert api.post(f"/api/patients/{pk}/discharge/").status_code == 403
    assert Patient.objects.get(pk=pk).status == PatientStatus.ACTIVE


def test_a_bodywork_provider_may_not_record_a_medical_clearance(personas, login, bodywork_provider):
    pk = personas.patient.pk
    with pytest.raises(PermissionDenied):
        clearance_record(actor=bodywork_provider, patient=personas.patient, upload=clearance_pdf(), cleared_by="Dr. A")
    page = login(bodywork_provider)
    assert page.get(f"/referrals/patients/{pk}/clearance/").status_code in (403, 404)
    page.post(
        f"/referrals/patients/{pk}/clearance/", {"clearance-cleared_by": "Dr. A", "clearance-file": clearance_pdf()}
    )
    assert not ClearanceDocument.objects.exists()


def test_the_treating_psychotherapist_and_the_front_desk_still_may(personas, login):
    for user in (personas.therapist, personas.front_desk):
        page = login(user).get(f"/patients/{personas.patient.pk}/").content.decode()
        assert "Edit details" in page and "Discharge…" in page and "Medical clearance" in page
        assert user.has_perm("patients.change_patient", personas.patient)
        assert user.has_perm("patients.discharge_patient", personas.patient)
        assert user.has_perm("referrals.record_clearance", personas.patient)
