"""Privacy walk: plant canaries in note text, treatment plans and a process note, then visit every page and
endpoint this app exposes (and the Django admin as a superuser) as every other role. The process-note canary
reaches only its author; note and plan text never reaches front desk, billing, admin or patients."""

import logging

import pytest
from django.db import connection
from django.urls import get_resolver, resolve
from rest_framework.test import APIClient

from apps.audit.models import AccessLog
from apps.notes.models import PsychotherapyNote
from apps.notifications.models import Message
from tests.factories import TherapistFactory, api_token_for

from .conftest import CANARY, NOTE_CANARY, past_appointment_for

pytestmark = pytest.mark.django_db

PROCESS_CANARY = CANARY


def _requests(r) -> list[tuple[str, str, dict]]:
    p, s, d, pn, session = r["patient"].pk, r["signed"].pk, r["draft"].pk, r["process"].pk, r["session"].pk
    sp, dp = r["signed_plan"].pk, r["draft_plan"].pk
    plan_form = {"start_date": "2026-01-05", "review_date": "2026-04-05", "p-0-text": "overwrite"}
    get = [
        "/notes/unsigned/",
        f"/notes/sessions/{session}/",
        f"/notes/sessions/{session}/process-note/",
        f"/notes/{s}/",
        f"/notes/{d}/",
        f"/notes/patients/{p}/chart/",
        f"/notes/patients/{p}/chart/data/",
        f"/outcomes/journal/{r['entry'].pk}/",
        "/api/notes/",
        f"/api/notes/{s}/",
        f"/api/notes/{d}/",
        "/api/notes/unsigned/",
        "/api/note-templates/",
        f"/api/note-templates/{r['signed'].template_id}/",
        "/api/process-notes/",
        f"/api/process-notes/{pn}/",
        "/api/measures/",
        "/api/measures/phq9/",
        f"/api/measure-responses/?patient={p}",
        "/api/questionnaire-assignments/",
        "/portal/",
        "/portal/questionnaires/",
        "/portal/journal/",
        f"/portal/journal/{r['entry'].pk}/",
        f"/patients/{p}/",
        f"/api/patients/{p}/",
        "/audit/access-log/",
        "/admin/",
        "/admin/notes/sessionnote/",
        f"/admin/notes/sessionnote/{s}/change/",
        f"/admin/notes/sessionnote/{d}/change/",
        "/admin/notes/addendum/",
        f"/admin/notes/addendum/{r['signed'].addenda.get().pk}/change/",
        "/admin/notes/notetemplate/",
        "/admin/notes/psychotherapynote/",
        f"/admin/notes/psychotherapynote/{pn}/change/",
        "/admin/outcomes/journalentry/",
        f"/admin/outcomes/journalentry/{r['entry'].pk}/change/",
        "/admin/outcomes/questionnaireresponse/",
        "/admin/outcomes/questionnaireassignment/",
        f"/notes/plans/{sp}/",
        f"/notes/plans/{dp}/",
        f"/notes/plans/{dp}/edit/",
        f"/notes/plans/{dp}/sign/",
        f"/notes/patients/{p}/plans/new/",
        "/api/treatment-plans/",
        f"/api/treatment-plans/{sp}/",
        f"/api/treatment-plans/{dp}/",
        "/api/treatment-plans/review-due/",
        "/admin/notes/treatmentplan/",
        f"/admin/notes/treatmentplan/{sp}/change/",
        f"/admin/notes/treatmentplan/{dp}/change/",
    ]
    post = [
        (f"/notes/sessions/{session}/", {"template": r["signed"].template_id}),
        (f"/notes/{d}/", {"presenting_symptoms": "overwrite", "sign": "1", "attest": "on"}),
        (f"/notes/{d}/autosave/", {"pain_now": "1"}),
        (f"/notes/{s}/cosign/", {}),
        (f"/notes/{s}/addenda/", {"text": "x"}),
        (
            f"/notes/cosigns/{r['signed'].author_id}/hand-over/",
            {"successor": r["signed"].author_id, "confirmed": "yes"},
        ),
        (f"/notes/sessions/{session}/process-note/", {"text": "x"}),
        (f"/notes/sessions/{session}/process-note/delete/", {}),
        (f"/notes/patients/{p}/records.pdf", {}),
        (f"/outcomes/flags/{r['response'].pk}/review/", {}),
        (f"/api/notes/{d}/sign/", {"attest": True}),
        (f"/api/notes/{s}/cosign/", {}),
        (f"/api/notes/{s}/addenda/", {"text": "x"}),
        ("/api/notes/", {"appointment": session, "template": r["signed"].template_id}),
        ("/api/process-notes/", {"patient": p, "text": "x"}),
        (f"/api/measure-responses/{r['response'].pk}/review-flag/", {}),
        (f"/api/questionnaire-assignments/{r['response'].assignment_id}/answer/", {"answers": [1]}),
        (f"/portal/journal/{r['entry'].pk}/share/", {"shared": "0"}),
        (f"/portal/journal/{r['entry'].pk}/delete/", {"confirmed": "yes"}),
        (f"/notes/plans/{dp}/edit/", plan_form),
        (f"/notes/plans/{dp}/sign/", {"attest": "on"}),
        (f"/notes/patients/{p}/plans/new/", plan_form),
        (f"/api/treatment-plans/{dp}/sign/", {"attest": True}),
        ("/api/treatment-plans/", {"patient": p, "review_date": "2030-01-01"}),
    ]
    other = [
        ("patch", f"/api/notes/{d}/", {"content": {"pain_now": 1}}),
        ("patch", f"/api/process-notes/{pn}/", {"text": "x"}),
        ("delete", f"/api/process-notes/{pn}/", {}),
        ("patch", f"/api/treatment-plans/{dp}/", {"interventions": ["x"]}),
    ]
    return [("get", url, {}) for url in get] + [("post", url, data) for url, data in post] + other


def _walk(client, r) -> list[tuple[str, int, bytes]]:
    seen = []
    for method, url, data in _requests(r):
        kwargs = {"format": "json"} if url.startswith("/api/") and method != "get" else {}
        response = getattr(client, method)(url, data, **kwargs)
        assert response.status_code < 500, (url, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        seen.append((url, response.status_code, body))
    return seen


def _mine(name: str) -> bool:
    return name.startswith(
        ("notes:", "outcomes:", "note-", "note", "process-note", "measure", "questionnaire")
    ) or name in {
        "portal:questionnaires",
        "portal:questionnaire_answer",
        "portal:journal",
        "portal:journal_entry",
        "portal:journal_entry_share",
        "portal:journal_entry_delete",
    }


def test_the_walk_covers_every_route_this_app_exposes(record):
    walked = set()
    for _method, url, _data in _requests(record):
        match = resolve(url.split("?")[0])
        walked.add(f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name)
    exposed = set()
    resolver = get_resolver()
    for namespace in ["notes", "outcomes"]:
        for name in resolver.namespace_dict[namespace][1].reverse_dict:
            if isinstance(name, str):
                exposed.add(f"{namespace}:{name}")
    portal = resolver.namespace_dict["portal"][1]
    exposed |= {f"portal:{n}" for n in portal.reverse_dict if isinstance(n, str) and _mine(f"portal:{n}")}
    api_names = {
        "note-list",
        "note-detail",
        "note-sign",
        "note-cosign",
        "note-addenda",
        "note-unsigned",
        "note-template-list",
        "note-template-detail",
        "process-note-list",
        "process-note-detail",
        "measure-list",
        "measure-detail",
        "measure-response-list",
        "measure-response-review-flag",
        "questionnaire-assignment-list",
        "questionnaire-assignment-answer",
        "treatment-plan-list",
        "treatment-plan-detail",
        "treatment-plan-sign",
        "treatment-plan-review-due",
    }
    exposed |= api_names
    missing = exposed - walked - {"portal:questionnaire_answer"}  # a patient-only page, walked below
    assert not missing


@pytest.fixture
def superuser_admin(personas):
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()
    return personas.admin


@pytest.mark.parametrize(
    "persona", ["other_therapist", "colleague", "front_desk", "billing", "admin", "patient_user", "other_patient_user"]
)
def test_no_other_role_ever_receives_the_process_note_canary(personas, login, record, superuser_admin, persona, caplog):
    caplog.set_level(logging.DEBUG)
    if persona == "colleague":
        user = TherapistFactory()
        past_appointment_for(user, personas.patient, days_ago=20)  # also treats this patient
    else:
        user = getattr(personas, persona)
    for client in (login(user), login(user, api=True)):
        for url, status, body in _walk(client, record):
            assert PROCESS_CANARY.encode() not in body, (persona, url, status)
            if persona != "colleague":
                assert NOTE_CANARY.encode() not in body, (persona, url, status)
    assert PsychotherapyNote.objects.filter(pk=record["process"].pk).exists()
    assert PROCESS_CANARY not in caplog.text and NOTE_CANARY not in caplog.text
    _assert_no_canary_outside_encrypted_columns()


def test_not_even_the_authors_own_api_token_receives_the_process_note_canary(personas, record, caplog):
    caplog.set_level(logging.DEBUG)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(personas.therapist)}")
    seen = _walk(client, record)
    for url, status, body in seen:
        assert PROCESS_CANARY.encode() not in body, (url, status)
    process_answers = [status for url, status, _body in seen if url.startswith("/api/process-notes/")]
    assert process_answers and set(process_answers) == {403}
    assert PsychotherapyNote.objects.filter(pk=record["process"].pk).exists()
    assert PROCESS_CANARY not in caplog.text


def test_the_admin_never_shows_process_notes_or_note_text(login, record, superuser_admin):
    client = login(superuser_admin)
    assert client.get("/admin/notes/psychotherapynote/").status_code == 404
    page = client.get(f"/admin/notes/sessionnote/{record['signed'].pk}/change/")
    assert page.status_code == 200
    assert b"content_encrypted" not in page.content and b"gAAAAA" not in page.content


def test_the_author_does_see_the_canary(personas, login, record):
    client = login(personas.therapist)
    assert PROCESS_CANARY in client.get(f"/notes/sessions/{record['session'].pk}/process-note/").content.decode()
    api = login(personas.therapist, api=True)
    assert api.get(f"/api/process-notes/{record['process'].pk}/").json()["text"] == PROCESS_CANARY
    assert NOTE_CANARY in api.get(f"/api/notes/{record['signed'].pk}/").content.decode()


def test_a_colleague_treating_the_patient_reads_the_signed_note_but_not_the_draft(personas, login, record):
    colleague = TherapistFactory()
    past_appointment_for(colleague, personas.patient, days_ago=20)
    api = login(colleague, api=True)
    assert NOTE_CANARY in api.get(f"/api/notes/{record['signed'].pk}/").content.decode()
    assert api.get(f"/api/notes/{record['draft'].pk}/").status_code == 404


def _assert_no_canary_outside_encrypted_columns():
    with connection.cursor() as cursor:
        for table in [
            "notes_sessionnote",
            "notes_sessionnoteevent",
            "notes_addendum",
            "notes_psychotherapynote",
            "notes_treatmentplan",
            "notes_treatmentplanevent",
            "notes_problem",
            "notes_goal",
            "notes_intervention",
        ]:
            cursor.execute(f"SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} t")
            text = cursor.fetchone()[0]
            assert PROCESS_CANARY not in text and NOTE_CANARY not in text, table
    for message in Message.objects.all():
        assert PROCESS_CANARY not in str(message.context) and NOTE_CANARY not in str(message.context)
    for row in AccessLog.objects.all():
        assert PROCESS_CANARY not in str(row.detail) and NOTE_CANARY not in str(row.detail)
