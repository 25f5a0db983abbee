"""A pre-licensed therapist keeps sight of the notes they signed that wait for their supervisor, and both see which
of those waited past the same 72 hours that make an unsigned note overdue."""

import datetime as dt

import pytest
import time_machine

from apps.notes.services import note_create, note_sign
from tests.factories import TherapistFactory

from .conftest import complete_progress_content, past_appointment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervision(personas):
    supervisor = TherapistFactory(email="supervisor@example.test", first_name="Sarah", last_name="Chen")
    trainee = TherapistFactory(
        email="trainee@example.test", profile__is_prelicensed=True, profile__supervisor=supervisor
    )
    return supervisor, trainee


def _signed_by(trainee, patient, template, *, days_ago: int = 1):
    session = past_appointment_for(trainee, patient, days_ago=days_ago)
    note = note_create(actor=trainee, appointment=session, template=template, content=complete_progress_content())
    return note_sign(actor=trainee, note=note, attest=True)


def test_signing_says_the_note_went_to_the_supervisor_by_name(personas, supervision, progress_template, login):
    _supervisor, trainee = supervision
    session = past_appointment_for(trainee, personas.patient, days_ago=1)
    note = note_create(actor=trainee, appointment=session, template=progress_template, content={})
    data = {k: str(v) if isinstance(v, int) else v for k, v in complete_progress_content().items()}

    response = login(trainee).post(f"/notes/{note.pk}/", {**data, "sign": "1", "attest": "on"}, follow=True)

    assert "Note signed and sent to Sarah Chen for co-signature." in response.content.decode()


def test_a_licensed_therapists_signature_says_only_signed(personas, past_session, progress_template, login):
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    data = {k: str(v) if isinstance(v, int) else v for k, v in complete_progress_content().items()}

    body = login(personas.therapist).post(f"/notes/{note.pk}/", {**data, "sign": "1", "attest": "on"}, follow=True)

    assert "Note signed." in body.content.decode() and "co-signature" not in body.content.decode()


def test_the_author_sees_their_notes_awaiting_cosignature_on_the_queue_and_home(
    personas, supervision, progress_template, login
):
    _supervisor, trainee = supervision
    _signed_by(trainee, personas.patient, progress_template)
    client = login(trainee)

    queue = client.get("/notes/unsigned/").content.decode()
    home = client.get("/").content.decode()

    assert "Awaiting co-signature (1)" in queue
    assert personas.patient.display_name in queue and "Sarah Chen" in queue
    assert "Awaiting co-signature (1)" in home


def test_a_note_waiting_72_hours_for_its_cosignature_is_overdue_for_both(
    personas, supervision, progress_template, login
):
    supervisor, trainee = supervision
    note = _signed_by(trainee, personas.patient, progress_template, days_ago=1)
    badge = '<span class="badge danger">Overdue</span>'
    for user in (supervisor, trainee):
        assert badge not in login(user).get("/notes/unsigned/").content.decode()
    # Measured from the author's signature, not the session; in UTC so a DST change moves nothing.
    with time_machine.travel(note.signed_at.astimezone(dt.UTC) + dt.timedelta(hours=72, minutes=1)):
        for user in (supervisor, trainee):
            assert badge in login(user).get("/notes/unsigned/").content.decode()
