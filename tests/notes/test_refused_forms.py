"""Starting a session's note and keeping a private process note refuse as every form does: sent with nothing in it,
the page comes back with its error summary and the reason by the field, 422, and nothing is written."""

import pytest

from apps.notes.models import PsychotherapyNote, SessionNote

pytestmark = pytest.mark.django_db


def _refused(response) -> None:
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="error-summary"' in html and "This field is required." in html


def test_starting_a_note_with_no_template_chosen_is_refused_and_starts_none(personas, login, past_session):
    _refused(login(personas.therapist).post(f"/notes/sessions/{past_session.pk}/", {}))
    assert not SessionNote.objects.exists()


def test_a_process_note_sent_empty_is_refused_and_keeps_none(personas, login, past_session):
    _refused(login(personas.therapist).post(f"/notes/sessions/{past_session.pk}/process-note/", {}))
    assert not PsychotherapyNote.objects.exists()
