"""Signing asks the author to attest the note is accurate and complete: the service, the page and the API refuse a
signature without it, the database too, and the statement and its time are kept with the signature."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import Unprocessable
from apps.notes.models import ATTESTATION, SessionNote
from apps.notes.services import note_create, note_sign

from .conftest import complete_progress_content, form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("attest", [False, None, "yes", 1])
def test_the_service_refuses_a_signature_without_the_attestation(personas, draft, attest):
    with pytest.raises(Unprocessable) as caught:
        note_sign(actor=personas.therapist, note=draft, attest=attest)
    assert set(caught.value.fields) == {"attest"}
    assert ATTESTATION in caught.value.fields["attest"][0]
    draft.refresh_from_db()
    assert (draft.status, draft.attestation, draft.attested_at) == ("draft", "", None)


def test_missing_answers_and_a_missing_attestation_are_reported_together(personas, past_session, progress_template):
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    with pytest.raises(Unprocessable) as caught:
        note_sign(actor=personas.therapist, note=note, attest=False)
    assert {"attest", "presenting_symptoms", "plan_homework"} <= set(caught.value.fields)


def test_the_attestation_is_stored_with_the_signature(personas, draft):
    note = note_sign(actor=personas.therapist, note=draft, attest=True)
    note.refresh_from_db()
    assert note.attestation == "I attest this note is accurate and complete."
    assert note.attested_at == note.signed_at is not None


def test_the_database_refuses_a_signature_without_an_attestation(personas, draft):
    signature = {"status": "signed", "signed_at": timezone.now(), "signed_by": personas.therapist}
    with pytest.raises(IntegrityError, match="without the attestation"), transaction.atomic():
        SessionNote.objects.filter(pk=draft.pk).update(**signature)
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionNote.objects.filter(pk=draft.pk).update(attestation=ATTESTATION, attested_at=timezone.now())


def test_a_signed_notes_attestation_never_changes(personas, draft):
    note_sign(actor=personas.therapist, note=draft, attest=True)
    with pytest.raises(IntegrityError, match="signed and cannot change"), transaction.atomic():
        SessionNote.objects.filter(pk=draft.pk).update(attestation="I attest nothing.")
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionNote.objects.filter(pk=draft.pk).update(attested_at=timezone.now())


def test_the_sign_form_shows_what_signing_locks_and_requires_the_box(personas, login, draft):
    client = login(personas.therapist)
    page = client.get(f"/notes/{draft.pk}/").content.decode()
    assert "Sign this note" in page and ATTESTATION in page and 'name="attest"' in page
    for section in ("Symptoms", "Psychodynamics", "Session", "Risk"):
        assert f"<li>{section}</li>" in page
    assert "cannot be edited" in page and "addendum" in page

    data = form_data(complete_progress_content(pain_now=2)) | {"sign": "1"}
    refused = client.post(f"/notes/{draft.pk}/", data)
    assert refused.status_code == 422
    assert "Tick “I attest this note is accurate and complete.” to sign." in refused.content.decode()
    draft.refresh_from_db()
    assert (draft.status, draft.pain_now) == ("draft", 2)  # the answers were saved, the note stays a draft

    signed = client.post(f"/notes/{draft.pk}/", data | {"attest": "on"})
    assert signed.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.attestation) == ("signed", ATTESTATION)
    page = client.get(f"/notes/{draft.pk}/").content.decode()
    assert f"attesting: “{ATTESTATION}”" in page and 'name="attest"' not in page


def test_saving_a_draft_needs_no_attestation(personas, login, draft):
    response = login(personas.therapist).post(f"/notes/{draft.pk}/", form_data(complete_progress_content()))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.parametrize("body", [None, {}, {"attest": False}])
def test_the_api_answers_422_without_attest_true(personas, login, draft, body):
    api = login(personas.therapist, api=True)
    response = api.post(f"/api/notes/{draft.pk}/sign/", body, format="json")
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"attest"}
    assert SessionNote.objects.get(pk=draft.pk).status == "draft"


def test_the_api_signs_with_attest_true_and_returns_the_attestation(personas, login, draft):
    response = login(personas.therapist, api=True).post(f"/api/notes/{draft.pk}/sign/", {"attest": True}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["attestation"]) == ("signed", ATTESTATION)
    assert body["attested_at"] == body["signed_at"]


def test_the_api_refuses_a_malformed_attestation_as_bad_input(personas, login, draft):
    response = login(personas.therapist, api=True).post(
        f"/api/notes/{draft.pk}/sign/", {"attest": "perhaps"}, format="json"
    )
    assert response.status_code == 400
    assert SessionNote.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "billing", "admin", "patient_user"])
def test_attesting_gives_nobody_else_a_signature(personas, login, draft, persona):
    api = login(getattr(personas, persona), api=True)
    assert api.post(f"/api/notes/{draft.pk}/sign/", {"attest": True}, format="json").status_code in (403, 404)
    page = login(getattr(personas, persona)).post(f"/notes/{draft.pk}/", {"sign": "1", "attest": "on"})
    assert page.status_code in (403, 404)
    assert SessionNote.objects.get(pk=draft.pk).status == "draft"
