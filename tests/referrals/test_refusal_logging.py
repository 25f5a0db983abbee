"""A referral's page, letter or clearance file refused to someone answers like a missing one and writes exactly one
refused access-log row naming who tried and which record; the desk's allowed open still writes its allowed row."""

import pytest

from apps.referrals.services import outbound_send
from tests.audit.watch import log_mark, row_for, rows_since

from .conftest import clearance_pdf, psychiatry_referral

pytestmark = pytest.mark.django_db


def _open(login, user, url):
    client = login(user)
    mark = log_mark()
    return client.get(url), rows_since(mark)


@pytest.mark.parametrize("persona", ["other_therapist", "billing"])
def test_a_refused_inbound_referral_open_is_logged_as_refused(personas, login, receive, persona):
    referral = receive()
    user = getattr(personas, persona)
    response, rows = _open(login, user, f"/referrals/inbound/{referral.pk}/")
    assert response.status_code == 404
    patient_id = personas.patient.pk
    assert rows == [row_for(user, "referral_inbound_view", referral, patient_id=patient_id, allowed=False)]


def test_the_desks_inbound_referral_open_writes_its_allowed_row(personas, login, receive):
    referral = receive()
    response, rows = _open(login, personas.front_desk, f"/referrals/inbound/{referral.pk}/")
    assert response.status_code == 200
    expected = row_for(
        personas.front_desk, "referral_inbound_view", referral, patient_id=personas.patient.pk, allowed=True
    )
    assert [row for row in rows if row["action"] == "referral_inbound_view"] == [expected]
    assert not [row for row in rows if not row["allowed"]]


@pytest.mark.parametrize("page", ["", "letter.pdf"])
@pytest.mark.parametrize("persona", ["other_therapist", "billing"])
def test_a_refused_outbound_referral_open_is_logged_as_refused(personas, login, signed_release, page, persona):
    referral = outbound_send(
        actor=personas.therapist,
        referral=psychiatry_referral(personas, recipient_fax="+16175550190"),
        release=signed_release,
    )
    user = getattr(personas, persona)
    response, rows = _open(login, user, f"/referrals/outbound/{referral.pk}/{page}")
    assert response.status_code == 404
    patient_id = personas.patient.pk
    assert rows == [row_for(user, "referral_outbound_view", referral, patient_id=patient_id, allowed=False)]


@pytest.mark.parametrize("persona", ["other_therapist", "billing"])
def test_a_refused_clearance_download_is_logged_as_refused(personas, login, receive, persona):
    clearance = receive(clearance=clearance_pdf()).clearances.get()
    user = getattr(personas, persona)
    response, rows = _open(login, user, f"/referrals/clearances/{clearance.pk}/")
    assert response.status_code == 404
    patient_id = personas.patient.pk
    assert rows == [row_for(user, "clearance_download", clearance, patient_id=patient_id, allowed=False)]


def test_the_desks_clearance_download_writes_its_allowed_row(personas, login, receive):
    clearance = receive(clearance=clearance_pdf()).clearances.get()
    response, rows = _open(login, personas.front_desk, f"/referrals/clearances/{clearance.pk}/")
    assert response.status_code == 200
    patient_id = personas.patient.pk
    assert rows == [row_for(personas.front_desk, "clearance_download", clearance, patient_id=patient_id, allowed=True)]


def test_a_bodywork_provider_refused_the_clearance_page_is_logged_as_refused_not_as_viewed(
    personas, login, bodywork_provider
):
    patient = personas.patient
    response, rows = _open(login, bodywork_provider, f"/referrals/patients/{patient.pk}/clearance/")
    assert response.status_code == 404
    assert rows == [row_for(bodywork_provider, "chart_view", patient, patient_id=patient.pk, allowed=False)]


def test_the_desks_clearance_page_writes_its_allowed_row(personas, login):
    patient = personas.patient
    response, rows = _open(login, personas.front_desk, f"/referrals/patients/{patient.pk}/clearance/")
    assert response.status_code == 200
    assert rows == [row_for(personas.front_desk, "chart_view", patient, patient_id=patient.pk, allowed=True)]


# --- one patient's referrals through the API --------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["inbound", "outbound"])
@pytest.mark.parametrize("persona", ["other_therapist", "billing"])
def test_a_refused_patient_in_the_referrals_list_is_logged_once_as_refused(
    personas, login, receive, direction, persona
):
    receive()
    user = getattr(personas, persona)
    client = login(user, api=True)
    mark = log_mark()
    response = client.get(f"/api/referrals/{direction}/", {"patient": personas.patient.pk})
    assert response.status_code == 404
    patient = personas.patient
    action = f"referral_{direction}_view"
    assert rows_since(mark) == [row_for(user, action, patient, patient_id=patient.pk, allowed=False)]


def test_a_missing_patient_in_the_referrals_list_is_not_logged_as_anyones_refusal(personas, login):
    client = login(personas.front_desk, api=True)
    mark = log_mark()
    assert client.get("/api/referrals/inbound/", {"patient": personas.patient.pk + 1000}).status_code == 404
    assert rows_since(mark) == []


def test_the_desks_referrals_list_still_logs_each_referral_read(personas, login, receive):
    referral = receive()
    client = login(personas.front_desk, api=True)
    mark = log_mark()
    assert client.get("/api/referrals/inbound/", {"patient": personas.patient.pk}).status_code == 200
    patient_id = personas.patient.pk
    expected = row_for(personas.front_desk, "referral_inbound_view", referral, patient_id=patient_id, allowed=True)
    assert rows_since(mark) == [expected]


@pytest.mark.parametrize(("persona", "answer"), [("other_therapist", 404), ("front_desk", 403)])
def test_a_refused_outbound_referral_draft_is_logged_once_as_refused(personas, login, persona, answer):
    user = getattr(personas, persona)
    client = login(user, api=True)
    mark = log_mark()
    body = {"patient": personas.patient.pk, "recipient_kind": "psychiatrist", "recipient_name": "Dr. Sam Okafor"}
    response = client.post("/api/referrals/outbound/", {**body, "reason": "Sleep."}, format="json")
    assert response.status_code == answer
    patient = personas.patient
    assert rows_since(mark) == [row_for(user, "referral_outbound_draft", patient, patient_id=patient.pk, allowed=False)]


def test_a_missing_patient_in_an_outbound_referral_draft_is_not_logged_as_anyones_refusal(personas, login):
    client = login(personas.therapist, api=True)
    mark = log_mark()
    body = {"patient": personas.patient.pk + 1000, "recipient_kind": "psychiatrist", "recipient_name": "Dr. Okafor"}
    assert client.post("/api/referrals/outbound/", {**body, "reason": "Sleep."}, format="json").status_code == 404
    assert rows_since(mark) == []
