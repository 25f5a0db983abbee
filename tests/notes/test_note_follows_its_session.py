"""A note belongs to the session it records: written and signed by the therapist who holds the session, signed only
for a session that takes place, signed with exactly the answers its signer saw, and a colleague's draft stays the
author's (its pain answers included)."""

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, transaction

from apps.core import clock
from apps.core.encryption import decrypt_json
from apps.core.errors import Conflict, InvalidTransition
from apps.notes.models import SessionNote
from apps.notes.services import note_create, note_sign, note_update_draft
from apps.scheduling import services as scheduling
from apps.scheduling.models import Appointment
from tests.factories import appointment_ahead
from tests.locking import HeldElsewhere, waiting_on_own_transaction

from .conftest import complete_progress_content, past_appointment_for

pytestmark = pytest.mark.django_db


def _form(content: dict) -> dict:
    return {key: str(value) if isinstance(value, int) else value for key, value in content.items()}


def test_a_session_with_a_started_note_is_not_handed_to_a_colleague(personas, progress_template):
    session = appointment_ahead(therapist=personas.therapist, patient=personas.patient)
    note_create(actor=personas.therapist, appointment=session, template=progress_template, content={})

    with pytest.raises(Conflict, match="has started the note for the session on") as refused:
        scheduling.appointment_reschedule(
            appointment=session, actor=personas.front_desk, start=session.start, therapist=personas.other_therapist
        )
    assert personas.therapist.full_name in refused.value.message
    session.refresh_from_db()
    assert session.therapist_id == personas.therapist.pk


def test_a_note_of_a_session_now_anothers_is_neither_saved_nor_signed(personas, progress_template):
    session = past_appointment_for(personas.therapist, personas.patient)
    note = note_create(
        actor=personas.therapist, appointment=session, template=progress_template, content=complete_progress_content()
    )
    Appointment.objects.filter(pk=session.pk).update(therapist=personas.other_therapist)  # handed over another way

    with pytest.raises(InvalidTransition, match="now another therapist's"):
        note_update_draft(actor=personas.therapist, note=note, content=complete_progress_content(pain_now=2))
    with pytest.raises(InvalidTransition, match="now another therapist's"):
        note_sign(actor=personas.therapist, note=note, attest=True)
    session.refresh_from_db()
    assert (SessionNote.objects.get(pk=note.pk).status, session.status) == ("draft", "booked")


@pytest.mark.parametrize("outcome", ["no_show", "cancel"])
def test_a_note_of_a_session_that_did_not_take_place_cannot_be_signed(personas, progress_template, outcome):
    session = past_appointment_for(personas.therapist, personas.patient)
    note = note_create(
        actor=personas.therapist, appointment=session, template=progress_template, content=complete_progress_content()
    )
    if outcome == "no_show":
        scheduling.appointment_no_show(appointment=session, actor=personas.front_desk)
    else:
        scheduling.appointment_cancel(appointment=session, actor=personas.front_desk, reason="Ill", waive_late_fee=True)

    with pytest.raises(InvalidTransition, match="can no longer be written or signed"):
        note_sign(actor=personas.therapist, note=note, attest=True)
    assert SessionNote.objects.get(pk=note.pk).status == "draft"


def test_the_database_refuses_a_note_signed_for_a_session_its_author_did_not_hold(personas, progress_template):
    session = past_appointment_for(personas.therapist, personas.patient)
    note = note_create(
        actor=personas.therapist, appointment=session, template=progress_template, content=complete_progress_content()
    )
    Appointment.objects.filter(pk=session.pk).update(therapist=personas.other_therapist)
    now = clock.now()
    with pytest.raises(IntegrityError, match="note_by_session_therapist"), transaction.atomic():
        SessionNote.objects.filter(pk=note.pk).update(
            status="signed", signed_at=now, signed_by=personas.therapist, attestation="I attest.", attested_at=now
        )
    Appointment.objects.filter(pk=session.pk).update(therapist=personas.therapist, status="cancelled")
    with pytest.raises(IntegrityError, match="note_by_session_therapist"), transaction.atomic():
        SessionNote.objects.filter(pk=note.pk).update(
            status="signed", signed_at=now, signed_by=personas.therapist, attestation="I attest.", attested_at=now
        )


def test_the_chart_shows_no_pain_answer_of_a_colleagues_draft(personas, progress_template, colleague, login):
    draft = note_create(
        actor=personas.therapist,
        appointment=past_appointment_for(personas.therapist, personas.patient),
        template=progress_template,
        content={"pain_now": 9, "pain_worst": 10},
    )
    chart = f"/notes/patients/{personas.patient.pk}/chart/"

    theirs = login(colleague).get(f"{chart}data/").json()["pain"]
    own = login(personas.therapist).get(f"{chart}data/").json()["pain"]

    assert (9, 10) not in [(point["now"], point["worst"]) for point in theirs]
    assert (9, 10) in [(point["now"], point["worst"]) for point in own]
    assert draft.status == "draft"


def test_the_row_history_keeps_no_pain_answer(personas, progress_template):
    note = note_create(
        actor=personas.therapist,
        appointment=past_appointment_for(personas.therapist, personas.patient),
        template=progress_template,
        content={"pain_now": 8},
    )
    note_update_draft(actor=personas.therapist, note=note, content={"pain_now": 3, "pain_worst": 6})

    events = django_apps.get_model("notes", "SessionNoteEvent")
    assert events.objects.filter(pgh_obj_id=note.pk).exists()
    assert not {"pain_now", "pain_worst", "content_encrypted"} & {field.name for field in events._meta.fields}


@pytest.mark.django_db(transaction=True)
def test_an_autosave_arriving_while_the_page_signs_never_changes_what_is_signed(
    personas, progress_template, login, monkeypatch
):
    """The editor's Sign button saves the answers on screen and signs them; an autosave of older typing that
    arrives in between waits for the signature and is then refused."""
    from apps.notes import services

    session = past_appointment_for(personas.therapist, personas.patient)
    note = note_create(
        actor=personas.therapist, appointment=session, template=progress_template, content=complete_progress_content()
    )
    page, stale_tab = login(personas.therapist), login(personas.therapist)
    late_autosave: dict[str, object] = {}
    real_sign = services._sign  # the signature as the page's save and sign runs it, inside its own transaction

    def sign_once_the_autosave_waits(**kwargs):
        # Between the page's save and its signature: the stale tab's autosave must wait for this transaction.
        late_autosave["finish"] = waiting_on_own_transaction(
            lambda: stale_tab.post(f"/notes/{note.pk}/autosave/", _form(complete_progress_content(pain_now=1)))
        )
        return real_sign(**kwargs)

    monkeypatch.setattr(services, "_sign", sign_once_the_autosave_waits)
    response = page.post(
        f"/notes/{note.pk}/", {**_form(complete_progress_content(pain_now=4)), "sign": "1", "attest": "on"}
    )
    autosave = late_autosave["finish"]()

    assert response.status_code == 302
    assert "signed" in autosave.content.decode().lower()  # refused: the note is signed
    signed = SessionNote.objects.get(pk=note.pk)
    assert signed.status == "signed"
    assert (signed.pain_now, decrypt_json(signed.content_encrypted)["pain_now"]) == (4, 4)


@pytest.mark.django_db(transaction=True)
def test_a_note_started_while_its_session_is_handed_over_waits_for_the_handover_and_is_refused(
    personas, progress_template
):
    from apps.core.errors import PermissionDenied

    session = appointment_ahead(therapist=personas.therapist, patient=personas.patient)
    handover = HeldElsewhere(
        lambda: Appointment.objects.filter(pk=session.pk).update(therapist=personas.other_therapist)
    )
    handover.release_soon()

    with pytest.raises(PermissionDenied):
        note_create(actor=personas.therapist, appointment=session, template=progress_template, content={})
    handover.join()
    assert not SessionNote.objects.filter(appointment=session).exists()
