"""Co-signing asks the supervisor to attest they reviewed the note, as signing asks its author: the service, the page
and the API refuse a co-signature without it, the database too, and the statement and its time are kept with the
co-signature. A pre-licensed author is told, before signing, who co-signs next."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import Unprocessable
from apps.notes.models import COSIGN_ATTESTATION, SessionNote
from apps.notes.services import note_cosign, note_create, note_sign
from tests.factories import TherapistFactory

from .conftest import complete_progress_content, past_appointment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(db):
    return TherapistFactory(email="supervisor@example.test", first_name="Susan", last_name="Vise")


@pytest.fixture
def trainee(supervisor):
    return TherapistFactory(email="trainee@example.test", profile__is_prelicensed=True, profile__supervisor=supervisor)


@pytest.fixture
def draft(personas, trainee, progress_template):
    session = past_appointment_for(trainee, personas.patient, days_ago=2)
    return note_create(
        actor=trainee, appointment=session, template=progress_template, content=complete_progress_content()
    )


@pytest.fixture
def to_cosign(trainee, draft):
    return note_sign(actor=trainee, note=draft, attest=True)


@pytest.mark.parametrize("attest", [False, None, "yes", 1])
def test_the_service_refuses_a_cosignature_without_the_attestation(supervisor, to_cosign, attest):
    with pytest.raises(Unprocessable) as caught:
        note_cosign(actor=supervisor, note=to_cosign, attest=attest)
    assert set(caught.value.fields) == {"attest"}
    assert COSIGN_ATTESTATION in caught.value.fields["attest"][0]
    to_cosign.refresh_from_db()
    assert (to_cosign.awaiting_cosign, to_cosign.cosign_attestation, to_cosign.cosign_attested_at) == (True, "", None)


def test_the_attestation_is_stored_with_the_cosignature(supervisor, to_cosign):
    note_cosign(actor=supervisor, note=to_cosign, attest=True)
    to_cosign.refresh_from_db()
    assert to_cosign.is_final and to_cosign.cosigned_by == supervisor
    assert to_cosign.cosign_attestation == "I have reviewed this note and attest it is accurate and complete."
    assert to_cosign.cosign_attested_at == to_cosign.cosigned_at is not None


def test_the_database_refuses_a_cosignature_without_an_attestation(supervisor, to_cosign):
    cosignature = {"cosigned_at": timezone.now(), "cosigned_by": supervisor}
    with pytest.raises(IntegrityError, match="co-signed without the attestation"), transaction.atomic():
        SessionNote.objects.filter(pk=to_cosign.pk).update(**cosignature)
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionNote.objects.filter(pk=to_cosign.pk).update(
            cosign_attestation=COSIGN_ATTESTATION, cosign_attested_at=timezone.now()
        )


def test_a_cosignatures_attestation_never_changes(supervisor, to_cosign):
    note_cosign(actor=supervisor, note=to_cosign, attest=True)
    with pytest.raises(IntegrityError, match="signed and cannot change"), transaction.atomic():
        SessionNote.objects.filter(pk=to_cosign.pk).update(cosign_attestation="I reviewed nothing.")


def test_a_prelicensed_authors_sign_box_names_the_supervisor_who_cosigns_next(login, trainee, draft):
    page = login(trainee).get(f"/notes/{draft.pk}/").content.decode()
    assert "goes to your supervisor, Susan Vise, for co-signature" in page


def test_a_licensed_authors_sign_box_mentions_no_cosignature(personas, login, past_session, progress_template):
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    page = login(personas.therapist).get(f"/notes/{note.pk}/").content.decode()
    assert "Sign this note" in page and "for co-signature" not in page


def test_the_cosign_form_asks_for_the_attestation_and_refuses_without_it(login, supervisor, to_cosign):
    client = login(supervisor)
    page = client.get(f"/notes/{to_cosign.pk}/").content.decode()
    assert "Co-sign note" in page and COSIGN_ATTESTATION in page and 'name="attest"' in page

    refused = client.post(f"/notes/{to_cosign.pk}/cosign/", {})
    # Said by the box itself, at the foot of a long note, not only at its top.
    assert refused.status_code == 422
    assert (
        refused.context["cosign_form"].errors["attest"]
        and "Tick the attestation to co-sign." in refused.content.decode()
    )
    assert 'aria-describedby="cosign-attest-errors"' in refused.content.decode()
    to_cosign.refresh_from_db()
    assert to_cosign.awaiting_cosign

    client.post(f"/notes/{to_cosign.pk}/cosign/", {"attest": "on"})
    to_cosign.refresh_from_db()
    assert to_cosign.is_final and to_cosign.cosign_attestation == COSIGN_ATTESTATION


def test_the_api_refuses_a_cosignature_without_the_attestation(login, supervisor, to_cosign):
    api = login(supervisor, api=True)
    refused = api.post(f"/api/notes/{to_cosign.pk}/cosign/", {}, format="json")
    assert refused.status_code == 422
    assert COSIGN_ATTESTATION in refused.json()["error"]["fields"]["attest"][0]
    accepted = api.post(f"/api/notes/{to_cosign.pk}/cosign/", {"attest": True}, format="json")
    assert accepted.status_code == 200
    body = accepted.json()
    assert (body["is_final"], body["cosign_attestation"]) == (True, COSIGN_ATTESTATION)
    assert body["cosign_attested_at"] == body["cosigned_at"] is not None
