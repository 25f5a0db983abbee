"""A therapist who does not treat a patient, naming that patient in a URL, a list filter or a request body, gets the
answer a patient who does not exist gets (404; 400 on a booking, whose patient field says it does not exist; or an
empty list where a list is narrowed to them) and leaves one
refused access-log row naming them and the patient, written where every such lookup is refused
(`patients.selectors.patient_get_for`)."""

import datetime as dt

import pytest

from apps.core import clock
from apps.core.models import ClinicSettings
from tests.audit.watch import log_mark, row_for, rows_since

pytestmark = pytest.mark.django_db

LIST = "list"  # answers 200 with nothing in it


@pytest.fixture(autouse=True)
def _the_other_therapist_takes_messages(personas):
    """So that the message API reaches the patient named, rather than refusing the therapist outright."""
    ClinicSettings.objects.update_or_create(id=1, defaults={"patient_messages_to_therapists": True})
    personas.other_therapist.therapist_profile.accepts_patient_messages = True
    personas.other_therapist.therapist_profile.save()


def _review_date() -> str:
    return (clock.local_now().date() + dt.timedelta(days=90)).isoformat()


# (method, url, body, refused action, answer); {p} is the patient's id.
ENDPOINTS = [
    ("get", "/api/patients/{p}/education/", None, "education_progress_view", 404),
    ("post", "/api/patients/{p}/education/", {"item": 1}, "education_assign", 404),
    ("post", "/api/referrals/outbound/", "outbound", "referral_outbound_draft", 404),
    ("get", "/api/billing/balances/{p}/", None, "billing_ledger_view", 404),
    ("get", "/api/patients/{p}/packages/", None, "billing_ledger_view", 404),
    ("post", "/api/patients/{p}/packages/", {"offering": 1}, "billing_ledger_view", 404),
    ("post", "/api/sliding-scale/assessments/", "assessment", "sliding_scale_assessment_create", 404),
    ("post", "/api/process-notes/", "process_note", "process_note_create", 404),
    ("post", "/api/treatment-plans/", "plan", "plan_create", 404),
    ("get", "/api/appointments/?patient={p}", None, "appointment_list_view", LIST),
    ("get", "/api/notes/?patient={p}", None, "note_list_view", LIST),
    ("get", "/api/process-notes/?patient={p}", None, "process_note_list_view", LIST),
    ("get", "/api/treatment-plans/?patient={p}", None, "plan_list_view", LIST),
    ("post", "/api/appointments/", "booking", "appointment_book", 400),
    ("post", "/api/message-threads/", "thread", "message_thread_start", 404),
    ("get", "/education/patients/{p}/share/", None, "education_assign", 404),
    ("post", "/education/patients/{p}/share/", {}, "education_assign", 404),
    ("get", "/billing/patients/{p}/", None, "billing_ledger_view", 404),
]


def _body(body, patient_id: int):
    bodies = {
        "outbound": {"recipient_kind": "psychiatrist", "recipient_name": "Dr. Sam Okafor", "reason": "Sleep."},
        "assessment": {"household_size": 2, "annual_income": "18000.00"},
        "process_note": {"text": "Process."},
        "plan": {"review_date": _review_date()},
        "booking": {"start": clock.now().isoformat()},
        "thread": {"subject": "Next week", "text": "Shall we move our session?"},
    }
    if isinstance(body, str):
        return {"patient": patient_id, **bodies[body]}
    return body


def _ask(login, user, method, url, body, patient_id):
    api = url.startswith("/api/")
    client = login(user, api=api)
    url = url.format(p=patient_id)
    if method == "get":
        return client.get(url)
    body = _body(body, patient_id)
    return client.post(url, body, format="json") if api else client.post(url, body)


def _answered(response, answer) -> bool:
    if answer == LIST:
        return response.status_code == 200 and response.json()["results"] == []
    return response.status_code == answer


@pytest.mark.parametrize(("method", "url", "body", "action", "answer"), ENDPOINTS)
def test_a_patient_the_therapist_does_not_treat_answers_as_missing_and_is_logged(
    personas, login, method, url, body, action, answer
):
    user, patient = personas.other_therapist, personas.patient
    mark = log_mark()
    response = _ask(login, user, method, url, body, patient.pk)
    assert _answered(response, answer), (response.status_code, response.content[:300])
    assert rows_since(mark) == [row_for(user, action, patient, patient_id=patient.pk, allowed=False)]
    missing = _ask(login, user, method, url, body, patient.pk + 1000)
    assert missing.status_code == response.status_code
    if url.startswith("/api/"):  # word for word but the id: a different message would tell the patient exists
        assert missing.content.decode().replace(str(patient.pk + 1000), str(patient.pk)) == response.content.decode()


@pytest.mark.parametrize(("method", "url", "body", "action", "answer"), [e for e in ENDPOINTS if e[4] == LIST])
def test_the_treating_therapists_list_narrowed_to_their_patient_logs_no_refusal(
    personas, login, method, url, body, action, answer
):
    mark = log_mark()
    response = _ask(login, personas.therapist, method, url, body, personas.patient.pk)
    assert response.status_code == 200
    assert not [row for row in rows_since(mark) if not row["allowed"]]
