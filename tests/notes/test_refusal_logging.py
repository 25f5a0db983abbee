"""Every refused open of clinical content writes exactly one refused access-log row naming who tried and what, and
no allowed row; an allowed open still writes its one allowed row. The process-note page and the chart's data feed
(measure and pain scores) are opened through the same selectors as notes, charts and plans."""

import pytest

from apps.notes.services import note_create, process_note_create
from tests.audit.watch import log_mark, row_for, rows_since

from .conftest import CANARY

pytestmark = pytest.mark.django_db


@pytest.fixture
def process_note(personas, past_session):
    return process_note_create(
        actor=personas.therapist, patient=personas.patient, appointment=past_session, text=CANARY
    )


# --- the process note page --------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "billing"])
@pytest.mark.parametrize(
    ("method", "suffix", "action"),
    [
        ("get", "", "process_note_view"),
        ("post", "", "process_note_update"),
        ("get", "delete/", "process_note_delete"),
        ("post", "delete/", "process_note_delete"),
    ],
)
def test_a_refused_process_note_open_is_logged_once_as_refused(
    personas, login, past_session, process_note, persona, method, suffix, action
):
    user = getattr(personas, persona)
    client = login(user)
    mark = log_mark()
    url = f"/notes/sessions/{past_session.pk}/process-note/{suffix}"
    response = client.post(url, {"text": "overwrite"}) if method == "post" else client.get(url)
    assert response.status_code == 404
    assert rows_since(mark) == [row_for(user, action, past_session, patient_id=personas.patient.pk, allowed=False)]
    assert CANARY not in response.content.decode()


def test_the_authors_process_note_open_still_writes_its_allowed_row(personas, login, past_session, process_note):
    client = login(personas.therapist)
    mark = log_mark()
    response = client.get(f"/notes/sessions/{past_session.pk}/process-note/")
    assert response.status_code == 200 and CANARY in response.content.decode()
    assert rows_since(mark) == [
        row_for(personas.therapist, "process_note_view", process_note, patient_id=personas.patient.pk, allowed=True)
    ]


def test_a_missing_session_is_not_logged_as_anyones_refusal(personas, login, past_session):
    client = login(personas.other_therapist)
    mark = log_mark()
    assert client.get(f"/notes/sessions/{past_session.pk + 1000}/process-note/").status_code == 404
    assert rows_since(mark) == []


# --- the session's note page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "billing"])
@pytest.mark.parametrize(("method", "action"), [("get", "note_view"), ("post", "note_create")])
def test_a_refused_session_note_page_is_logged_once_naming_the_session(
    personas, login, past_session, progress_template, persona, method, action
):
    user = getattr(personas, persona)
    client = login(user)
    mark = log_mark()
    url = f"/notes/sessions/{past_session.pk}/"
    response = client.post(url, {"template": progress_template.pk}) if method == "post" else client.get(url)
    assert response.status_code == 404
    assert rows_since(mark) == [row_for(user, action, past_session, patient_id=personas.patient.pk, allowed=False)]


def test_a_refused_session_note_page_does_not_tell_the_log_that_a_note_exists(
    personas, login, past_session, progress_template
):
    note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    user = personas.other_therapist
    mark = log_mark()
    assert login(user).get(f"/notes/sessions/{past_session.pk}/").status_code == 404
    assert rows_since(mark) == [row_for(user, "note_view", past_session, patient_id=personas.patient.pk, allowed=False)]


def test_the_sessions_therapist_starts_a_note_with_no_refusal_logged(personas, login, past_session):
    client = login(personas.therapist)
    mark = log_mark()
    assert client.get(f"/notes/sessions/{past_session.pk}/").status_code == 200
    assert rows_since(mark) == []


def test_a_missing_session_note_page_is_not_logged_as_anyones_refusal(personas, login, past_session):
    mark = log_mark()
    assert login(personas.other_therapist).get(f"/notes/sessions/{past_session.pk + 1000}/").status_code == 404
    assert rows_since(mark) == []


# --- the chart's data feed --------------------------------------------------------------------------------------


def test_a_refused_chart_data_open_is_logged_as_refused_and_never_as_viewed(personas, login, bodywork_provider):
    client = login(bodywork_provider)
    mark = log_mark()
    assert client.get(f"/notes/patients/{personas.patient.pk}/chart/data/").status_code == 404
    patient = personas.patient
    assert rows_since(mark) == [
        row_for(bodywork_provider, "clinical_chart_view", patient, patient_id=patient.pk, allowed=False)
    ]


def test_a_therapist_not_treating_the_patient_is_refused_the_chart_data_once(personas, login):
    client = login(personas.other_therapist)
    mark = log_mark()
    assert client.get(f"/notes/patients/{personas.patient.pk}/chart/data/").status_code == 404
    patient, user = personas.patient, personas.other_therapist
    assert rows_since(mark) == [row_for(user, "clinical_chart_view", patient, patient_id=patient.pk, allowed=False)]


def test_the_treating_psychotherapists_chart_data_open_writes_its_allowed_row(personas, login):
    client = login(personas.therapist)
    mark = log_mark()
    assert client.get(f"/notes/patients/{personas.patient.pk}/chart/data/").status_code == 200
    patient, user = personas.patient, personas.therapist
    assert rows_since(mark) == [row_for(user, "clinical_chart_view", patient, patient_id=patient.pk, allowed=True)]


def test_the_bodywork_providers_chart_page_still_opens_and_is_logged_as_viewed(personas, login, bodywork_provider):
    client = login(bodywork_provider)
    mark = log_mark()
    assert client.get(f"/notes/patients/{personas.patient.pk}/chart/").status_code == 200
    patient = personas.patient
    rows = [row for row in rows_since(mark) if row["action"] == "clinical_chart_view"]
    assert rows == [row_for(bodywork_provider, "clinical_chart_view", patient, patient_id=patient.pk, allowed=True)]
