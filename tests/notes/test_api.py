"""The notes API: create, update a draft, sign, co-sign, addenda; who may do what; access log rows."""

import pytest

from apps.audit.models import AccessLog
from apps.notes.models import SessionNote
from apps.notes.services import note_create, note_sign
from tests.factories import TherapistFactory

from .conftest import complete_progress_content, past_appointment_for

pytestmark = pytest.mark.django_db


def test_a_therapist_writes_signs_and_corrects_a_note_through_the_api(personas, login, past_session, progress_template):
    api = login(personas.therapist, api=True)
    response = api.post(
        "/api/notes/",
        {"appointment": past_session.pk, "template": progress_template.pk, "content": {"pain_now": 5}},
        format="json",
    )
    assert response.status_code == 201, response.content
    note_id = response.json()["id"]
    assert response.json()["content"] == {"pain_now": 5}

    response = api.patch(f"/api/notes/{note_id}/", {"content": complete_progress_content()}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "draft"

    response = api.post(f"/api/notes/{note_id}/sign/", {"attest": True}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["is_final"]) == ("signed", True)

    response = api.patch(f"/api/notes/{note_id}/", {"content": complete_progress_content(pain_now=0)}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"

    response = api.post(f"/api/notes/{note_id}/addenda/", {"text": "Pain now was 3."}, format="json")
    assert response.status_code == 201
    detail = api.get(f"/api/notes/{note_id}/").json()
    assert [a["text"] for a in detail["addenda"]] == ["Pain now was 3."]
    assert detail["content"]["pain_now"] == 4


def test_invalid_content_answers_422_with_field_messages(personas, login, draft):
    api = login(personas.therapist, api=True)
    response = api.patch(f"/api/notes/{draft.pk}/", {"content": {"pain_now": 12, "mood": "ok"}}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "pain_now": ["Enter a whole number from 0 to 10."],
        "mood": ["This template has no such field."],
    }


def test_signing_an_incomplete_note_lists_the_missing_fields(personas, login, past_session, progress_template):
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    response = login(personas.therapist, api=True).post(f"/api/notes/{note.pk}/sign/", {"attest": True}, format="json")
    assert response.status_code == 422
    assert "presenting_symptoms" in response.json()["error"]["fields"]


def test_a_second_note_for_the_same_session_conflicts(personas, login, draft, progress_template):
    response = login(personas.therapist, api=True).post(
        "/api/notes/", {"appointment": draft.appointment_id, "template": progress_template.pk}, format="json"
    )
    assert response.status_code == 409


@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "billing", "admin", "patient_user"])
def test_nobody_else_reads_a_note(personas, login, draft, persona):
    response = login(getattr(personas, persona), api=True).get(f"/api/notes/{draft.pk}/")
    assert response.status_code == 404
    assert "Low back pain" not in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "expected"), [("front_desk", 403), ("billing", 403), ("admin", 403), ("patient_user", 403)]
)
def test_only_therapists_list_notes(personas, login, draft, persona, expected):
    assert login(getattr(personas, persona), api=True).get("/api/notes/").status_code == expected


def test_a_therapist_lists_own_notes_without_text(personas, login, draft):
    rows = login(personas.therapist, api=True).get("/api/notes/").json()["results"]
    assert [row["id"] for row in rows] == [draft.pk]
    assert "content" not in rows[0]
    assert login(personas.other_therapist, api=True).get("/api/notes/").json()["results"] == []


def test_drafts_stay_with_their_author_and_signed_notes_reach_the_treating_team(personas, login, draft):
    colleague = TherapistFactory()
    past_appointment_for(colleague, personas.patient, days_ago=8)  # has seen the patient too
    api = login(colleague, api=True)
    assert api.get(f"/api/notes/{draft.pk}/").status_code == 404
    note_sign(actor=personas.therapist, note=draft, attest=True)
    assert api.get(f"/api/notes/{draft.pk}/").status_code == 200
    assert api.post(f"/api/notes/{draft.pk}/addenda/", {"text": "Not my note."}, format="json").status_code == 403
    assert api.post(f"/api/notes/{draft.pk}/sign/", {"attest": True}, format="json").status_code == 403


@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "patient_user"])
def test_strangers_cannot_sign_update_or_add_addenda(personas, login, draft, persona):
    api = login(getattr(personas, persona), api=True)
    assert api.post(f"/api/notes/{draft.pk}/sign/", {"attest": True}, format="json").status_code == 404
    assert api.patch(f"/api/notes/{draft.pk}/", {"content": {}}, format="json").status_code == 404
    assert api.post(f"/api/notes/{draft.pk}/addenda/", {"text": "x"}, format="json").status_code == 404
    assert SessionNote.objects.get(pk=draft.pk).status == "draft"


def test_only_the_sessions_therapist_creates_its_note(personas, login, past_session, progress_template):
    response = login(personas.other_therapist, api=True).post(
        "/api/notes/", {"appointment": past_session.pk, "template": progress_template.pk}, format="json"
    )
    assert response.status_code == 404


def test_cosign_through_the_api(personas, login, progress_template):
    supervisor = TherapistFactory()
    trainee = TherapistFactory(profile__is_prelicensed=True, profile__supervisor=supervisor)
    session = past_appointment_for(trainee, personas.patient, days_ago=2)
    note = note_create(
        actor=trainee, appointment=session, template=progress_template, content=complete_progress_content()
    )
    signed = login(trainee, api=True).post(f"/api/notes/{note.pk}/sign/", {"attest": True}, format="json").json()
    assert (signed["state"], signed["is_final"], signed["cosigner"]) == ("Awaiting co-signature", False, supervisor.pk)
    assert (
        login(trainee, api=True).post(f"/api/notes/{note.pk}/cosign/", {"attest": True}, format="json").status_code
        == 403
    )
    assert (
        login(personas.other_therapist, api=True)
        .post(f"/api/notes/{note.pk}/cosign/", {"attest": True}, format="json")
        .status_code
        == 404
    )
    response = login(supervisor, api=True).post(f"/api/notes/{note.pk}/cosign/", {"attest": True}, format="json")
    assert response.status_code == 200
    assert response.json()["is_final"] is True
    assert (
        login(supervisor, api=True).post(f"/api/notes/{note.pk}/cosign/", {"attest": True}, format="json").status_code
        == 409
    )


def test_every_read_of_note_content_writes_one_access_log_row(personas, login, draft):
    api = login(personas.therapist, api=True)
    before = AccessLog.objects.count()
    api.get(f"/api/notes/{draft.pk}/", REMOTE_ADDR="10.9.8.7")
    assert AccessLog.objects.count() == before + 1
    row = AccessLog.objects.order_by("-id").first()
    assert (row.actor, row.action, row.allowed, row.subject_type, row.subject_id, row.patient_id, row.ip_address) == (
        personas.therapist,
        "note_view",
        True,
        "notes.sessionnote",
        str(draft.pk),
        personas.patient.pk,
        "10.9.8.7",
    )
    api.get("/api/notes/")  # a list carries no text and logs nothing
    assert AccessLog.objects.count() == before + 1


@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "billing", "admin", "patient_user"])
def test_every_denied_attempt_writes_a_denied_row(personas, login, draft, persona):
    user = getattr(personas, persona)
    login(user, api=True).get(f"/api/notes/{draft.pk}/")
    row = AccessLog.objects.order_by("-id").first()
    assert (row.actor, row.action, row.allowed, row.subject_id) == (user, "note_view", False, str(draft.pk))


def test_templates_are_listed_for_therapists_only(personas, login, progress_template):
    names = {t["name"] for t in login(personas.therapist, api=True).get("/api/note-templates/").json()["results"]}
    assert {"Psychodynamic TMS progress note", "Intake assessment"} <= names
    assert login(personas.patient_user, api=True).get("/api/note-templates/").status_code == 403
    assert login(personas.front_desk, api=True).get("/api/note-templates/").status_code == 403


def test_unsigned_sessions_endpoint(personas, login, draft):
    rows = login(personas.therapist, api=True).get("/api/notes/unsigned/").json()["results"]
    assert [(r["appointment"], r["note"], r["overdue"]) for r in rows] == [(draft.appointment_id, draft.pk, False)]
    assert login(personas.front_desk, api=True).get("/api/notes/unsigned/").status_code == 403


def test_process_notes_api_is_author_only(personas, login, past_session):
    api = login(personas.therapist, api=True)
    response = api.post(
        "/api/process-notes/",
        {"patient": personas.patient.pk, "appointment": past_session.pk, "text": "Felt protective of her."},
        format="json",
    )
    assert response.status_code == 201
    pk = response.json()["id"]
    assert api.get(f"/api/process-notes/{pk}/").json()["text"] == "Felt protective of her."
    assert api.patch(f"/api/process-notes/{pk}/", {"text": "Revised."}, format="json").status_code == 200
    for persona in ["other_therapist", "front_desk", "billing", "admin", "patient_user"]:
        other = login(getattr(personas, persona), api=True)
        # Staff (MFA-verified) learn nothing: 404 as for a missing note. A patient's session, which has no
        # second factor, is refused before any lookup.
        refused = 403 if persona == "patient_user" else 404
        assert other.get(f"/api/process-notes/{pk}/").status_code == refused
        assert other.patch(f"/api/process-notes/{pk}/", {"text": "x"}, format="json").status_code == refused
        assert other.delete(f"/api/process-notes/{pk}/").status_code == refused
    assert login(personas.other_therapist, api=True).get("/api/process-notes/").json()["results"] == []
    assert api.delete(f"/api/process-notes/{pk}/").status_code == 204


def test_process_notes_only_about_patients_the_therapist_treats(personas, login):
    response = login(personas.other_therapist, api=True).post(
        "/api/process-notes/", {"patient": personas.patient.pk, "text": "x"}, format="json"
    )
    assert response.status_code == 404
