"""A signed intake form refused to a staff member or another patient answers like a missing one and writes exactly
one refused access-log row naming who tried and which form; an allowed open still writes its allowed row."""

import pytest

from tests.audit.watch import log_mark, row_for, rows_since

from .conftest import sign

pytestmark = pytest.mark.django_db

ACTION = "intake.view_signature"


def _open(login, user, signature):
    client = login(user)
    mark = log_mark()
    return client.get(f"/intake/signed/{signature.pk}/"), rows_since(mark)


@pytest.mark.parametrize("persona", ["other_therapist", "billing", "other_patient_user"])
def test_a_refused_signed_form_open_is_logged_as_refused(personas, login, sent, questionnaire, persona):
    signature, _ = sign(personas, questionnaire)
    user = getattr(personas, persona)
    response, rows = _open(login, user, signature)
    assert response.status_code == 404
    assert rows == [row_for(user, ACTION, signature, patient_id=personas.patient.pk, allowed=False)]


def test_the_patient_is_sent_to_the_portal_for_their_own_form_without_a_refusal(personas, login, sent, questionnaire):
    signature, _ = sign(personas, questionnaire)
    response, rows = _open(login, personas.patient_user, signature)
    assert response.status_code == 404
    assert rows == []


def test_the_treating_therapists_signed_form_open_writes_its_allowed_row(personas, login, sent, questionnaire):
    signature, _ = sign(personas, questionnaire)
    response, rows = _open(login, personas.therapist, signature)
    assert response.status_code == 200
    assert rows == [row_for(personas.therapist, ACTION, signature, patient_id=personas.patient.pk, allowed=True)]


# --- the portal's signed form page ------------------------------------------------------------------------------


def test_another_patients_signed_form_in_the_portal_is_logged_once_as_refused(personas, login, sent, questionnaire):
    signature, _ = sign(personas, questionnaire)
    user = personas.other_patient_user
    client = login(user)
    mark = log_mark()
    response = client.get(f"/portal/forms/signed/{signature.pk}/")
    assert response.status_code == 404
    assert rows_since(mark) == [row_for(user, ACTION, signature, patient_id=personas.patient.pk, allowed=False)]


def test_the_patient_reads_their_own_signed_form_in_the_portal_with_no_refusal(personas, login, sent, questionnaire):
    signature, _ = sign(personas, questionnaire)
    client = login(personas.patient_user)
    mark = log_mark()
    assert client.get(f"/portal/forms/signed/{signature.pk}/").status_code == 200
    assert [row for row in rows_since(mark) if not row["allowed"]] == []


def test_a_missing_signed_form_in_the_portal_is_not_logged_as_anyones_refusal(personas, login, sent, questionnaire):
    signature, _ = sign(personas, questionnaire)
    client = login(personas.other_patient_user)
    mark = log_mark()
    assert client.get(f"/portal/forms/signed/{signature.pk + 1000}/").status_code == 404
    assert rows_since(mark) == []


# --- a patient's packets through the API ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["other_therapist", "billing", "other_patient_user"])
def test_a_refused_patient_in_the_packets_list_is_logged_once_as_refused(personas, login, sent, persona):
    user = getattr(personas, persona)
    client = login(user, api=True)
    mark = log_mark()
    assert client.get("/api/intake-packets/", {"patient": personas.patient.pk}).status_code == 404
    patient = personas.patient
    assert rows_since(mark) == [row_for(user, "intake_packets_view", patient, patient_id=patient.pk, allowed=False)]


def test_a_refused_patient_for_a_new_packet_is_logged_once_as_refused(personas, login, sent):
    user = personas.other_therapist
    client = login(user, api=True)
    mark = log_mark()
    assert client.post("/api/intake-packets/", {"patient": personas.patient.pk}, format="json").status_code == 404
    patient = personas.patient
    assert rows_since(mark) == [row_for(user, "intake_packet_create", patient, patient_id=patient.pk, allowed=False)]


def test_a_missing_patient_in_the_packets_list_is_not_logged_as_anyones_refusal(personas, login, sent):
    client = login(personas.front_desk, api=True)
    mark = log_mark()
    assert client.get("/api/intake-packets/", {"patient": personas.patient.pk + 1000}).status_code == 404
    assert rows_since(mark) == []


def test_the_treating_therapists_packets_list_writes_no_row(personas, login, sent):
    client = login(personas.therapist, api=True)
    mark = log_mark()
    assert client.get("/api/intake-packets/", {"patient": personas.patient.pk}).status_code == 200
    assert rows_since(mark) == []
