"""Notes by discipline: a massage and bodywork provider writes and reads their own bodywork notes and never any
psychotherapy content (session notes of psychotherapy sessions, process notes, plans, measures, journal entries,
intake answers), on any page or endpoint; the patient's psychotherapists read the signed bodywork notes
(read-only, access-logged); front desk, billing, admins and patients read none."""

import datetime as dt
import logging

import pytest
from django.db import IntegrityError, transaction

from apps.accounts.disciplines import Discipline
from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.errors import PermissionDenied, Unprocessable
from apps.intake.selectors import packets_visible_to
from apps.notes.models import NoteTemplate, SessionNote
from apps.notes.selectors import note_template_default, notes_visible_to
from apps.notes.services import note_create, note_sign, process_note_create
from tests.factories import AppointmentFactory, ServiceTypeFactory, TherapistFactory

from .conftest import CANARY, NOTE_CANARY
from .test_privacy import _walk

pytestmark = pytest.mark.django_db

BODYWORK_CANARY = "CANARY-bodywork-lavender-2291"


def bodywork_content(**overrides) -> dict:
    content = {
        "areas_treated": ["neck_shoulders", "upper_back"],
        "pressure": "medium",
        "techniques": ["swedish"],
        "client_response": "Relaxed; shoulders released.",
        "contraindications_checked": True,
        "plan": "Weekly relaxation massage.",
    }
    content.update(overrides)
    return content


@pytest.fixture
def bodywork_template(db):
    return NoteTemplate.objects.get(name="Bodywork session note")


@pytest.fixture
def massage(db):
    return ServiceTypeFactory(
        code="RLX60", name="Relaxation massage, 60 min", duration_minutes=60, discipline=Discipline.BODYWORK
    )


def massage_session(masseuse, patient, massage, *, days_ago: int):
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=days_ago), dt.time(16, 0))
    return AppointmentFactory(
        therapist=masseuse, patient=patient, service_type=massage, start=start, end=start + dt.timedelta(hours=1)
    )


@pytest.fixture
def masseuse(personas, massage):
    """A massage therapist who treats the personas' patient (so the patient's chart is theirs to open)."""
    return TherapistFactory(email="lena@example.test", profile__discipline=Discipline.BODYWORK)


@pytest.fixture
def bodywork(personas, masseuse, massage, bodywork_template):
    signed_session = massage_session(masseuse, personas.patient, massage, days_ago=3)
    draft_session = massage_session(masseuse, personas.patient, massage, days_ago=1)
    signed = note_create(
        actor=masseuse,
        appointment=signed_session,
        template=bodywork_template,
        content=bodywork_content(client_response=BODYWORK_CANARY),
    )
    signed = note_sign(actor=masseuse, note=signed, attest=True)
    draft = note_create(actor=masseuse, appointment=draft_session, template=bodywork_template, content={})
    return {"signed": signed, "draft": draft, "session": signed_session}


# --- the massage therapist never receives psychotherapy content -------------------------------------------------


def test_a_massage_therapist_walking_every_notes_path_never_receives_psychotherapy_text(
    personas, login, record, masseuse, bodywork, caplog
):
    caplog.set_level(logging.DEBUG)
    for client in (login(masseuse), login(masseuse, api=True)):
        for url, status, body in _walk(client, record):
            assert NOTE_CANARY.encode() not in body, (url, status)
            assert CANARY.encode() not in body, (url, status)
    assert NOTE_CANARY not in caplog.text


@pytest.mark.parametrize(
    "path",
    [
        "/notes/{signed}/",
        "/api/notes/{signed}/",
        "/notes/plans/{signed_plan}/",
        "/api/treatment-plans/{signed_plan}/",
        "/outcomes/journal/{entry}/",
        "/notes/patients/{patient}/chart/data/",
    ],
)
def test_each_psychotherapy_path_refuses_the_massage_therapist(personas, login, record, masseuse, bodywork, path):
    ids = {key: getattr(value, "pk", None) for key, value in record.items()}
    url = path.format(**ids)
    client = login(masseuse, api=url.startswith("/api/"))
    assert client.get(url).status_code in (403, 404)


def test_a_massage_therapist_lists_only_their_own_bodywork_notes(personas, login, record, masseuse, bodywork):
    listed = login(masseuse, api=True).get("/api/notes/").json()["results"]
    assert {row["id"] for row in listed} == {bodywork["signed"].pk, bodywork["draft"].pk}
    assert set(notes_visible_to(user=masseuse)) == {bodywork["signed"], bodywork["draft"]}
    filtered = login(masseuse, api=True).get(f"/api/notes/?patient={personas.patient.pk}").json()["results"]
    assert {row["id"] for row in filtered} == {bodywork["signed"].pk, bodywork["draft"].pk}


def test_a_massage_therapist_never_reads_a_colleagues_bodywork_note(personas, login, masseuse, bodywork, massage):
    colleague = TherapistFactory(profile__discipline=Discipline.BODYWORK)
    massage_session(colleague, personas.patient, massage, days_ago=10)
    client = login(colleague, api=True)
    assert client.get(f"/api/notes/{bodywork['signed'].pk}/").status_code == 404
    assert client.get("/api/notes/").json()["results"] == []


def test_the_chart_shows_a_massage_therapist_sessions_and_their_notes_without_psychotherapy_panels(
    personas, login, record, masseuse, bodywork
):
    page = login(masseuse).get(f"/notes/patients/{personas.patient.pk}/chart/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/notes/{bodywork['signed'].pk}/" in html
    assert f"/notes/{record['signed'].pk}/" not in html
    for panel in ("Trends", "Treatment plan", "Journal entries shared", "Needs review", "Export records"):
        assert panel not in html, panel
    assert "kept to the patient's psychotherapists" in html
    psychotherapist = login(personas.therapist).get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    assert "Trends" in psychotherapist and f"/notes/{bodywork['signed'].pk}/" in psychotherapist


def test_a_massage_therapist_keeps_no_process_notes(personas, login, masseuse, bodywork):
    with pytest.raises(PermissionDenied):
        process_note_create(actor=masseuse, patient=personas.patient, text="x")
    session = bodywork["session"]
    assert login(masseuse).get(f"/notes/sessions/{session.pk}/process-note/").status_code == 404
    response = login(masseuse, api=True).post(
        "/api/process-notes/", {"patient": personas.patient.pk, "text": "x"}, format="json"
    )
    assert response.status_code == 403
    note_page = login(masseuse).get(f"/notes/{bodywork['signed'].pk}/").content.decode()
    assert "process note" not in note_page.lower()


def test_intake_answers_measures_and_plans_are_refused_to_a_massage_therapist(personas, masseuse, bodywork):
    patient = personas.patient
    assert not masseuse.has_perm("intake.view_packets", patient)
    assert not masseuse.has_perm("outcomes.view_measures", patient)
    assert not masseuse.has_perm("notes.add_plan", patient)
    assert not masseuse.has_perm("notes.export_records", patient)
    assert not packets_visible_to(user=masseuse).exists()
    assert masseuse.has_perm("notes.view_clinical_chart", patient)
    assert personas.therapist.has_perm("intake.view_packets", patient)


def test_the_measure_and_intake_endpoints_give_a_massage_therapist_nothing(personas, login, record, masseuse, bodywork):
    api = login(masseuse, api=True)
    measures = api.get(f"/api/measure-responses/?patient={personas.patient.pk}")
    assert measures.status_code in (403, 404) or measures.json()["results"] == []
    assert api.get(f"/api/measure-responses/{record['response'].pk}/review-flag/").status_code in (403, 404, 405)
    assert api.get(f"/api/intake-packets/?patient={personas.patient.pk}").status_code == 404
    assert (
        login(personas.therapist, api=True).get(f"/api/intake-packets/?patient={personas.patient.pk}").status_code
        == 200
    )
    assert (
        login(personas.therapist, api=True)
        .get(f"/api/measure-responses/?patient={personas.patient.pk}")
        .json()["results"]
    )


# --- the visibility matrix of a bodywork note --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "reads"),
    [
        ("masseuse", True),
        ("therapist", True),  # the patient's psychotherapist
        ("other_therapist", False),  # a psychotherapist who does not treat the patient
        ("front_desk", False),
        ("billing", False),
        ("admin", False),
        ("patient_user", False),
    ],
)
def test_who_reads_a_signed_bodywork_note(personas, login, masseuse, bodywork, persona, reads):
    user = masseuse if persona == "masseuse" else getattr(personas, persona)
    note = bodywork["signed"]
    for client, url in ((login(user), f"/notes/{note.pk}/"), (login(user, api=True), f"/api/notes/{note.pk}/")):
        response = client.get(url)
        assert (BODYWORK_CANARY.encode() in response.content) is reads, (persona, url, response.status_code)
        if not reads:
            assert response.status_code in (403, 404)


def test_a_psychotherapist_reads_a_bodywork_note_read_only_and_the_read_is_logged(personas, login, masseuse, bodywork):
    note = bodywork["signed"]
    api = login(personas.therapist, api=True)
    assert api.get(f"/api/notes/{note.pk}/").status_code == 200
    assert AccessLog.objects.filter(
        actor=personas.therapist, action="note_view", subject_id=str(note.pk), allowed=True
    ).exists()
    assert api.post(f"/api/notes/{note.pk}/addenda/", {"text": "x"}, format="json").status_code == 403
    assert api.get(f"/api/notes/{bodywork['draft'].pk}/").status_code == 404
    page = login(personas.therapist).get(f"/notes/{note.pk}/").content.decode()
    assert "Add addendum" not in page


# --- templates follow the session's discipline --------------------------------------------------------------------


def test_a_bodywork_session_starts_from_the_bodywork_template(personas, masseuse, massage, login):
    session = massage_session(masseuse, personas.patient, massage, days_ago=2)
    assert note_template_default(appointment=session).name == "Bodywork session note"
    page = login(masseuse).get(f"/notes/sessions/{session.pk}/").content.decode()
    assert "Bodywork session note" in page and "Psychodynamic TMS progress note" not in page


def test_a_psychotherapy_template_is_refused_on_a_bodywork_session(personas, masseuse, massage, progress_template):
    session = massage_session(masseuse, personas.patient, massage, days_ago=2)
    with pytest.raises(Unprocessable, match="psychotherapy template; this is a massage and bodywork session"):
        note_create(actor=masseuse, appointment=session, template=progress_template, content={})
    assert not SessionNote.objects.exists()


def test_the_database_refuses_a_note_on_a_template_of_another_discipline(
    personas, masseuse, massage, progress_template, bodywork_template
):
    session = massage_session(masseuse, personas.patient, massage, days_ago=2)
    with pytest.raises(IntegrityError, match="template of another discipline"), transaction.atomic():
        SessionNote.objects.create(
            appointment=session, patient=personas.patient, author=masseuse, template=progress_template
        )
    note = SessionNote.objects.create(
        appointment=session, patient=personas.patient, author=masseuse, template=bodywork_template
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionNote.objects.filter(pk=note.pk).update(template=progress_template)


def test_a_bodywork_note_is_signed_once_its_required_answers_are_given(personas, masseuse, massage, bodywork_template):
    session = massage_session(masseuse, personas.patient, massage, days_ago=2)
    note = note_create(actor=masseuse, appointment=session, template=bodywork_template, content={})
    with pytest.raises(Unprocessable):
        note_sign(actor=masseuse, note=note, attest=True)
    note = note_create(
        actor=masseuse,
        appointment=massage_session(masseuse, personas.patient, massage, days_ago=4),
        template=bodywork_template,
        content=bodywork_content(),
    )
    assert note_sign(actor=masseuse, note=note, attest=True).status == "signed"
