"""The staff page of a journal entry refuses everyone the entry is not shared with, each refusal written once to
the access log as refused; the patient, who reads their own entries in the portal, is no refusal."""

import pytest

from apps.outcomes import services
from apps.outcomes.models import QuestionnaireAssignment
from apps.outcomes.services import journal_entry_create
from tests.audit.watch import log_mark, row_for, rows_since

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(personas):
    return journal_entry_create(actor=personas.patient_user, patient=personas.patient, text="Journal.", share=True)


def _open(login, user, entry):
    client = login(user)
    mark = log_mark()
    return client.get(f"/outcomes/journal/{entry.pk}/"), rows_since(mark)


@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "other_patient_user"])
def test_a_refused_journal_entry_open_is_logged_as_refused(personas, login, entry, persona):
    user = getattr(personas, persona)
    response, rows = _open(login, user, entry)
    assert response.status_code == 404
    assert rows == [row_for(user, "journal_view", entry, patient_id=personas.patient.pk, allowed=False)]


def test_the_patients_own_entry_on_the_staff_page_is_no_refusal(personas, login, entry):
    response, rows = _open(login, personas.patient_user, entry)
    assert response.status_code == 404
    assert rows == []


def test_the_treating_therapists_journal_entry_open_writes_its_allowed_row(personas, login, entry):
    response, rows = _open(login, personas.therapist, entry)
    assert response.status_code == 200
    assert rows == [row_for(personas.therapist, "journal_view", entry, patient_id=personas.patient.pk, allowed=True)]


# --- reviewing a flagged answer ---------------------------------------------------------------------------------

FLAG = "measure_flag_review"


@pytest.fixture
def flagged(personas, tomorrow_session):
    services.questionnaires_send_for_appointment(appointment=tomorrow_session)
    assignment = QuestionnaireAssignment.objects.get(instrument="phq9")
    return services.questionnaire_answer(
        actor=personas.patient.user, assignment=assignment, answers=[1, 1, 1, 1, 1, 1, 1, 1, 2]
    )


def _review(login, user, flagged, how):
    client = login(user, api=how == "api")
    mark = log_mark()
    if how == "api":
        response = client.post(f"/api/measure-responses/{flagged.pk}/review-flag/")
    else:
        response = client.post(f"/outcomes/flags/{flagged.pk}/review/", {"confirmed": "yes"} if how == "yes" else {})
    return response, rows_since(mark)


@pytest.mark.parametrize("how", ["page", "yes", "api"])
@pytest.mark.parametrize("persona", ["other_therapist", "front_desk"])
def test_a_refused_flag_review_is_logged_once_as_refused(personas, login, flagged, persona, how):
    user = getattr(personas, persona)
    response, rows = _review(login, user, flagged, how)
    assert response.status_code == 404
    assert rows == [row_for(user, FLAG, flagged, patient_id=personas.patient.pk, allowed=False)]
    flagged.refresh_from_db()
    assert flagged.flag_reviewed_at is None


@pytest.mark.parametrize("how", ["yes", "api"])
def test_the_treating_therapists_flag_review_is_no_refusal(personas, login, flagged, how):
    response, rows = _review(login, personas.therapist, flagged, how)
    assert response.status_code in (200, 302)
    assert [row for row in rows if not row["allowed"]] == []
    flagged.refresh_from_db()
    assert flagged.flag_reviewed_at is not None


def test_a_missing_flag_is_not_logged_as_anyones_refusal(personas, login, flagged):
    client = login(personas.other_therapist, api=True)
    mark = log_mark()
    assert client.post(f"/api/measure-responses/{flagged.pk + 1000}/review-flag/").status_code == 404
    assert rows_since(mark) == []
