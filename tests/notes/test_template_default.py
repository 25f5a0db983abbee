"""A first session's note starts from the intake template; a returning patient's (a signed note from an earlier
session) from the progress note. The page preselects it and the API uses it when no template is given."""

import re

import pytest

from apps.notes.models import NoteTemplate, SessionNote
from apps.notes.selectors import note_template_default
from apps.notes.services import note_create, note_sign

from .conftest import complete_progress_content, past_appointment_for

pytestmark = pytest.mark.django_db


def _selected_template(page: str) -> str:
    return re.search(r'<option value="\d+" selected>([^<]+)</option>', page).group(1)


@pytest.fixture
def sessions(personas):
    """The patient's sessions with the therapist two weeks ago, a week ago and yesterday."""
    return [past_appointment_for(personas.therapist, personas.patient, days_ago=days) for days in (14, 7, 1)]


def _signed_note(personas, session, template):
    note = note_create(
        actor=personas.therapist, appointment=session, template=template, content=complete_progress_content()
    )
    return note_sign(actor=personas.therapist, note=note, attest=True)


def test_a_first_session_starts_from_the_intake(sessions, intake_template, progress_template):
    assert note_template_default(appointment=sessions[0]) == intake_template


def test_a_returning_patient_starts_from_the_progress_note(personas, sessions, intake_template, progress_template):
    _signed_note(personas, sessions[0], progress_template)
    assert note_template_default(appointment=sessions[1]) == progress_template
    assert note_template_default(appointment=sessions[2]) == progress_template


def test_only_a_signed_note_from_an_earlier_session_makes_a_patient_returning(
    personas, sessions, intake_template, progress_template
):
    note_create(actor=personas.therapist, appointment=sessions[0], template=intake_template, content={})  # a draft
    assert note_template_default(appointment=sessions[1]) == intake_template
    _signed_note(personas, sessions[2], progress_template)  # signed, but for a later session
    assert note_template_default(appointment=sessions[1]) == intake_template


def test_with_every_template_of_a_kind_retired_the_other_kind_is_offered(sessions, intake_template, progress_template):
    NoteTemplate.objects.filter(kind="intake").update(is_active=False)
    assert note_template_default(appointment=sessions[0]) == progress_template


def test_the_start_page_and_the_api_use_the_same_default(personas, login, sessions, intake_template, progress_template):
    page, api = login(personas.therapist), login(personas.therapist, api=True)
    assert _selected_template(page.get(f"/notes/sessions/{sessions[1].pk}/").content.decode()) == "Intake assessment"
    response = api.post("/api/notes/", {"appointment": sessions[1].pk}, format="json")
    assert response.status_code == 201 and response.json()["template"] == intake_template.pk

    _signed_note(personas, sessions[0], progress_template)
    started = page.get(f"/notes/sessions/{sessions[2].pk}/").content.decode()
    assert _selected_template(started) == "Psychodynamic TMS progress note"
    response = api.post("/api/notes/", {"appointment": sessions[2].pk}, format="json")
    assert response.status_code == 201 and response.json()["template"] == progress_template.pk


def test_a_chosen_template_still_wins(personas, login, sessions, intake_template, progress_template):
    response = login(personas.therapist).post(f"/notes/sessions/{sessions[0].pk}/", {"template": progress_template.pk})
    assert response.status_code == 302
    assert SessionNote.objects.get(appointment=sessions[0]).template == progress_template
