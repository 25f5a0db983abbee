"""The staff page of a journal entry refuses everyone the entry is not shared with, each refusal written once to
the access log as refused; the patient, who reads their own entries in the portal, is no refusal."""

import pytest

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
