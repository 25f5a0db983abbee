"""Signing locks a note (in the database too); corrections are addenda; supervisors co-sign."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from apps.core.encryption import decrypt_json, decrypt_text
from apps.core.errors import InvalidTransition, PermissionDenied, Unprocessable
from apps.notes.models import Addendum, SessionNote
from apps.notes.services import (
    addendum_add,
    note_cosign,
    note_create,
    note_save_and_sign,
    note_sign,
    note_update_draft,
)
from apps.scheduling.models import AppointmentStatus
from tests.factories import AppointmentFactory, TherapistFactory

from .conftest import complete_progress_content, past_appointment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(personas, past_session, progress_template):
    return note_create(
        actor=personas.therapist,
        appointment=past_session,
        template=progress_template,
        content=complete_progress_content(),
    )


@pytest.fixture
def signed(personas, draft):
    return note_sign(actor=personas.therapist, note=draft, attest=True)


def test_signing_makes_the_note_final_and_completes_the_session(personas, draft):
    note = note_sign(actor=personas.therapist, note=draft, attest=True)
    note.refresh_from_db()
    assert (note.status, note.signed_by, note.is_final) == ("signed", personas.therapist, True)
    assert note.signed_at is not None
    note.appointment.refresh_from_db()
    assert note.appointment.status == AppointmentStatus.COMPLETED


def test_a_signed_note_refuses_further_edits_in_the_service(personas, signed):
    with pytest.raises(InvalidTransition):
        note_update_draft(actor=personas.therapist, note=signed, content=complete_progress_content(pain_now=1))
    with pytest.raises(InvalidTransition):
        note_sign(actor=personas.therapist, note=signed, attest=True)


def test_the_database_refuses_changing_a_signed_notes_content(signed, progress_template):
    other = SessionNote.objects.get(pk=signed.pk)
    other.content_encrypted = other.content_encrypted[:-4] + "AAA="
    with pytest.raises(IntegrityError, match="signed and cannot change"), transaction.atomic():
        other.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionNote.objects.filter(pk=signed.pk).update(pain_now=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionNote.objects.filter(pk=signed.pk).update(status="draft", signed_at=None, signed_by=None)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE notes_sessionnote SET content_encrypted = 'x' WHERE id = %s", [signed.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionNote.objects.filter(pk=signed.pk).delete()
    assert decrypt_json(SessionNote.objects.get(pk=signed.pk).content_encrypted)["pain_now"] == 4


def test_drafts_stay_editable(personas, draft):
    note_update_draft(actor=personas.therapist, note=draft, content=complete_progress_content(pain_now=2))
    draft.refresh_from_db()
    assert (draft.pain_now, decrypt_json(draft.content_encrypted)["pain_now"]) == (2, 2)


def test_an_incomplete_note_cannot_be_signed(personas, past_session, progress_template):
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    with pytest.raises(Unprocessable) as caught:
        note_sign(actor=personas.therapist, note=note, attest=True)
    assert "plan_homework" in caught.value.fields
    note.refresh_from_db()
    assert note.status == "draft"


def test_a_note_cannot_be_signed_before_the_session(personas, progress_template):
    upcoming = AppointmentFactory(therapist=personas.therapist, patient=personas.patient)
    note = note_create(
        actor=personas.therapist, appointment=upcoming, template=progress_template, content=complete_progress_content()
    )
    with pytest.raises(InvalidTransition):
        note_sign(actor=personas.therapist, note=note, attest=True)
    with time_machine.travel(upcoming.start + dt.timedelta(minutes=50)):
        assert note_sign(actor=personas.therapist, note=note, attest=True).status == "signed"


@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "admin", "patient_user"])
def test_only_the_author_signs(personas, draft, persona):
    with pytest.raises(PermissionDenied):
        note_sign(actor=getattr(personas, persona), note=draft, attest=True)


def test_only_the_sessions_therapist_starts_its_note(personas, past_session, progress_template):
    with pytest.raises(PermissionDenied):
        note_create(actor=personas.other_therapist, appointment=past_session, template=progress_template, content={})


def test_cancelled_sessions_have_no_note(personas, past_session, progress_template):
    past_session.status = AppointmentStatus.CANCELLED
    past_session.save()
    with pytest.raises(InvalidTransition):
        note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})


def test_addenda_correct_a_signed_note_and_are_immutable(personas, signed):
    addendum = addendum_add(actor=personas.therapist, note=signed, text="Pain worst was 8, not 7.")
    assert decrypt_text(addendum.content_encrypted) == "Pain worst was 8, not 7."
    with pytest.raises(IntegrityError), transaction.atomic():
        Addendum.objects.filter(pk=addendum.pk).update(content_encrypted="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Addendum.objects.filter(pk=addendum.pk).delete()
    assert Addendum.objects.filter(note=signed).count() == 1


def test_addenda_need_a_signed_note_text_and_the_author(personas, draft):
    with pytest.raises(PermissionDenied):
        addendum_add(actor=personas.therapist, note=draft, text="Too early.")
    signed = note_sign(actor=personas.therapist, note=draft, attest=True)
    with pytest.raises(Unprocessable):
        addendum_add(actor=personas.therapist, note=signed, text="   ")
    with pytest.raises(PermissionDenied):
        addendum_add(actor=personas.other_therapist, note=signed, text="Not mine.")


@pytest.fixture
def supervision(personas):
    supervisor = TherapistFactory(email="supervisor@example.test")
    trainee = TherapistFactory(
        email="trainee@example.test", profile__is_prelicensed=True, profile__supervisor=supervisor
    )
    return supervisor, trainee


def test_a_prelicensed_note_is_final_only_after_the_supervisor_cosigns(personas, supervision, progress_template):
    supervisor, trainee = supervision
    session = past_appointment_for(trainee, personas.patient, days_ago=2)
    note = note_create(
        actor=trainee, appointment=session, template=progress_template, content=complete_progress_content()
    )
    note = note_sign(actor=trainee, note=note, attest=True)
    assert (note.status, note.cosigner, note.is_final, note.state_label) == (
        "signed",
        supervisor,
        False,
        "Awaiting co-signature",
    )
    with pytest.raises(PermissionDenied):
        note_cosign(actor=personas.therapist, note=note, attest=True)
    with pytest.raises(PermissionDenied):
        note_cosign(actor=trainee, note=note, attest=True)
    note = note_cosign(actor=supervisor, note=note, attest=True)
    assert (note.cosigned_by, note.is_final) == (supervisor, True)
    with pytest.raises(InvalidTransition):
        note_cosign(actor=supervisor, note=note, attest=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionNote.objects.filter(pk=note.pk).update(cosigned_at=None, cosigned_by=None)


def test_the_supervisor_reads_the_notes_to_cosign_oldest_session_first(personas, supervision, progress_template, login):
    supervisor, trainee = supervision
    for days_ago in (2, 16, 9):  # written out of order
        session = past_appointment_for(trainee, personas.patient, days_ago=days_ago)
        note = note_create(
            actor=trainee, appointment=session, template=progress_template, content=complete_progress_content()
        )
        note_sign(actor=trainee, note=note, attest=True)
    client = login(supervisor)

    listed = [row["note"].appointment.start for row in client.get("/notes/unsigned/").context["to_cosign"]]

    assert len(listed) == 3 and listed == sorted(listed)
    api_rows = login(supervisor, api=True).get("/api/notes/").json()["results"]
    assert [row["id"] for row in api_rows] == [
        n.pk for n in sorted(SessionNote.objects.all(), key=lambda n: n.appointment.start, reverse=True)
    ]


def test_a_licensed_therapists_note_needs_no_cosignature(personas, signed, supervision):
    supervisor, _trainee = supervision
    assert not signed.cosign_required
    with pytest.raises(PermissionDenied):
        note_cosign(actor=supervisor, note=signed, attest=True)


def test_the_supervisor_may_add_an_addendum_when_cosigning(personas, supervision, progress_template):
    supervisor, trainee = supervision
    session = past_appointment_for(trainee, personas.patient, days_ago=3)
    note = note_create(
        actor=trainee, appointment=session, template=progress_template, content=complete_progress_content()
    )
    note = note_sign(actor=trainee, note=note, attest=True)
    addendum_add(actor=supervisor, note=note, text="Reviewed in supervision; agree with plan.")
    assert note.addenda.get().author == supervisor


def test_saving_and_signing_reports_wrong_and_missing_answers_and_the_attestation_together(
    personas, past_session, progress_template
):
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    content = complete_progress_content(pain_now=15, pain_worst=-2, patient_response="", interventions=[])
    with pytest.raises(Unprocessable) as refused:
        note_save_and_sign(actor=personas.therapist, note=note, content=content, attest=False)
    assert refused.value.fields == {
        "pain_now": ["Enter a whole number from 0 to 10."],
        "pain_worst": ["Enter a whole number from 0 to 10."],
        "patient_response": ["This field is required before signing."],
        "interventions": ["This field is required before signing."],
        "attest": ["Tick “I attest this note is accurate and complete.” to sign."],
    }
    note.refresh_from_db()
    assert note.status == "draft" and decrypt_json(note.content_encrypted) == {}  # nothing invalid was saved
