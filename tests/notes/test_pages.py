"""Therapist pages: the editor with htmx autosave, signing, addenda, process notes, the unsigned queue."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core import clock
from apps.core.encryption import decrypt_json, decrypt_text
from apps.notes.models import PsychotherapyNote, SessionNote
from apps.notes.services import note_create, note_sign
from apps.notes.tasks import unsigned_notes_digest
from apps.notifications.models import Message
from tests.factories import AppointmentFactory
from tests.places import pacific_office

from .conftest import complete_progress_content, form_data, past_appointment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def therapist_client(personas, login):
    return login(personas.therapist)


def test_starting_a_note_from_the_session(personas, therapist_client, past_session, progress_template):
    response = therapist_client.get(f"/notes/sessions/{past_session.pk}/")
    assert response.status_code == 200
    assert "Psychodynamic TMS progress note" in response.content.decode()
    response = therapist_client.post(f"/notes/sessions/{past_session.pk}/", {"template": progress_template.pk})
    note = SessionNote.objects.get(appointment=past_session)
    assert response.status_code == 302 and response.url == f"/notes/{note.pk}/"
    assert therapist_client.get(f"/notes/sessions/{past_session.pk}/").url == f"/notes/{note.pk}/"


def test_the_editor_renders_every_template_field_and_uses_no_inline_script(
    personas, therapist_client, past_session, progress_template
):
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    response = therapist_client.get(f"/notes/{note.pk}/")
    body = response.content.decode()
    for field in progress_template.fields:
        assert f'name="{field["key"]}"' in body
    assert f'hx-post="/notes/{note.pk}/autosave/"' in body
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_autosave_keeps_the_draft_as_the_therapist_types(personas, therapist_client, past_session, progress_template):
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    response = therapist_client.post(
        f"/notes/{note.pk}/autosave/",
        {"presenting_symptoms": "Neck pain", "pain_now": "6", "emotional_themes": ["grief", "shame"]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Draft saved" in response.content.decode()
    note.refresh_from_db()
    assert decrypt_json(note.content_encrypted) == {
        "presenting_symptoms": "Neck pain",
        "pain_now": 6,
        "emotional_themes": ["grief", "shame"],
    }
    response = therapist_client.post(
        f"/notes/{note.pk}/autosave/", {"pain_now": "eleven"}, headers={"HX-Request": "true"}
    )
    assert "Not saved" in response.content.decode() and "Pain intensity now" in response.content.decode()
    note.refresh_from_db()
    assert note.pain_now == 6


def test_signing_from_the_editor_shows_field_errors_then_signs(
    personas, therapist_client, past_session, progress_template
):
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    response = therapist_client.post(f"/notes/{note.pk}/", {"pain_now": "3", "sign": "1"})
    assert response.status_code == 422
    assert "This field is required before signing." in response.content.decode()
    response = therapist_client.post(
        f"/notes/{note.pk}/", {**form_data(complete_progress_content()), "sign": "1", "attest": "on"}
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == "signed"
    page = therapist_client.get(f"/notes/{note.pk}/").content.decode()
    assert "Add addendum" in page and 'name="pain_now"' not in page


def test_adding_an_addendum_from_the_page(personas, therapist_client, past_session, progress_template):
    note = note_create(
        actor=personas.therapist,
        appointment=past_session,
        template=progress_template,
        content=complete_progress_content(),
    )
    note_sign(actor=personas.therapist, note=note, attest=True)
    therapist_client.post(f"/notes/{note.pk}/addenda/", {"text": "Clarified homework."})
    assert decrypt_text(note.addenda.get().content_encrypted) == "Clarified homework."
    assert "Clarified homework." in therapist_client.get(f"/notes/{note.pk}/").content.decode()


def test_an_empty_addendum_is_refused_on_the_note_with_the_summary_and_nothing_added(
    personas, therapist_client, past_session, progress_template
):
    note = note_create(
        actor=personas.therapist,
        appointment=past_session,
        template=progress_template,
        content=complete_progress_content(),
    )
    note_sign(actor=personas.therapist, note=note, attest=True)
    for text in ("", "   "):
        response = therapist_client.post(f"/notes/{note.pk}/addenda/", {"text": text})
        html = response.content.decode()
        assert response.status_code == 422 and 'id="error-summary"' in html and 'href="#id_text"' in html
        assert "This field is required." in html
    assert not note.addenda.exists()


def test_signing_shows_every_problem_at_once_out_of_range_answers_missing_ones_and_the_attestation(
    personas, therapist_client, past_session, progress_template
):
    """Before, an out-of-range pain score hid what was missing: a second try revealed six more fields."""
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    submitted = {
        "presenting_symptoms": "Low back ache",
        "symptom_locations": ["back"],
        "pain_now": "15",
        "pain_worst": "-2",
        "plan_homework": "Journal daily",
        "sign": "1",
    }
    response = therapist_client.post(f"/notes/{note.pk}/", submitted)
    assert response.status_code == 422
    body = response.content.decode()
    assert body.count("Enter a whole number from 0 to 10.") == 2
    assert body.count("This field is required before signing.") == 4
    flagged = {row["key"] for row in response.context["rows"] if row["errors"]}
    assert flagged == {
        "pain_now",
        "pain_worst",
        "change_since_last",
        "interventions",
        "patient_response",
        "suicidal_ideation",
    }
    assert response.context["sign_form"].errors["attest"]  # the attestation, asked for in the same answer
    note.refresh_from_db()
    assert note.status == "draft"


def test_a_refused_draft_save_says_plainly_that_nothing_was_saved(
    personas, therapist_client, past_session, intake_template
):
    """Before, the page said only "Some answers need attention." and kept the entries on screen, so a therapist who
    left it lost answers they thought were saved."""
    note = note_create(
        actor=personas.therapist, appointment=past_session, template=intake_template, content={"pain_now": 6}
    )
    submitted = {"symptom_locations": ["back", "neck_shoulders"], "pain_now": "14", "save": "1"}
    response = therapist_client.post(f"/notes/{note.pk}/", submitted)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Draft not saved: Some answers need attention." in body  # at the top of the page
    status = re.search(r'<span id="autosave-status"[^>]*>(.*?)</span>\s*</div>', body, re.S).group(1)
    assert "Not saved" in status and "Pain intensity now" in status  # and beside the Save draft button
    note.refresh_from_db()
    assert decrypt_json(note.content_encrypted) == {"pain_now": 6}


def test_a_signature_refused_for_an_answer_out_of_range_says_the_draft_was_not_saved(
    personas, therapist_client, past_session, progress_template
):
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    response = therapist_client.post(
        f"/notes/{note.pk}/", {"presenting_symptoms": "Neck", "pain_now": "14", "sign": "1"}
    )
    assert "Draft not saved: Some answers need attention." in response.content.decode()
    note.refresh_from_db()
    assert decrypt_json(note.content_encrypted) == {}


def test_a_signature_refused_for_a_missing_answer_keeps_the_draft(
    personas, therapist_client, past_session, progress_template
):
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    response = therapist_client.post(f"/notes/{note.pk}/", {"pain_now": "3", "sign": "1"})
    body = response.content.decode()
    assert "Some answers need attention." in body and "Draft not saved" not in body
    note.refresh_from_db()
    assert decrypt_json(note.content_encrypted) == {"pain_now": 3}


@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "billing", "admin", "patient_user"])
def test_note_pages_are_closed_to_everyone_else(personas, login, past_session, progress_template, persona):
    note = note_create(
        actor=personas.therapist,
        appointment=past_session,
        template=progress_template,
        content=complete_progress_content(),
    )
    client = login(getattr(personas, persona))
    assert client.get(f"/notes/{note.pk}/").status_code == 404
    assert client.post(f"/notes/{note.pk}/", {"pain_now": "1", "sign": "1", "attest": "on"}).status_code == 404
    assert client.post(f"/notes/{note.pk}/autosave/", {"pain_now": "1"}).status_code == 404
    assert client.get(f"/notes/sessions/{past_session.pk}/").status_code == 404
    assert client.get(f"/notes/sessions/{past_session.pk}/process-note/").status_code == 404
    note.refresh_from_db()
    assert (note.status, note.pain_now) == ("draft", 4)


def test_the_process_note_page_is_the_authors_own(personas, therapist_client, past_session):
    therapist_client.post(
        f"/notes/sessions/{past_session.pk}/process-note/", {"text": "Felt sleepy: boredom as defence?"}
    )
    process = PsychotherapyNote.objects.get(author=personas.therapist)
    assert decrypt_text(process.content_encrypted) == "Felt sleepy: boredom as defence?"
    assert (
        "boredom as defence"
        in therapist_client.get(f"/notes/sessions/{past_session.pk}/process-note/").content.decode()
    )
    therapist_client.post(f"/notes/sessions/{past_session.pk}/process-note/delete/")
    assert not PsychotherapyNote.objects.exists()


def test_deleting_a_process_note_asks_first_for_it_cannot_be_undone(personas, therapist_client, login, past_session):
    url = f"/notes/sessions/{past_session.pk}/process-note/"
    therapist_client.post(url, {"text": "Felt sleepy: boredom as defence?"})
    page = therapist_client.get(url).content.decode()
    assert not re.search(r'<form method="post" action="[^"]*/process-note/delete/"', page)
    assert f'href="{url}delete/"' in page

    confirm = therapist_client.get(f"{url}delete/")
    body = confirm.content.decode()
    assert confirm.status_code == 200 and "cannot be undone" in body and "boredom" not in body
    assert PsychotherapyNote.objects.count() == 1
    assert login(personas.other_therapist).get(f"{url}delete/").status_code == 404

    therapist_client.post(f"{url}delete/")
    assert not PsychotherapyNote.objects.exists()


def test_the_unsigned_queue_flags_notes_after_72_hours(personas, therapist_client, login, progress_template):
    session = past_appointment_for(personas.therapist, personas.patient, days_ago=1)
    note_create(actor=personas.therapist, appointment=session, template=progress_template, content={})
    body = therapist_client.get("/notes/unsigned/").content.decode()
    assert personas.patient.legal_last_name in body and "Overdue" not in body
    # In UTC: an aware local time plus a timedelta keeps the wall clock, an hour off across a DST change.
    with time_machine.travel(session.end.astimezone(dt.UTC) + dt.timedelta(hours=72, minutes=1)):
        body = login(personas.therapist).get("/notes/unsigned/").content.decode()
    assert "Overdue" in body and "1 overdue" in body


def test_the_unsigned_queue_names_another_offices_zone(personas, therapist_client):
    """Each session at its own office's time; one in another zone says which (as My day and the session page do)."""
    here = past_appointment_for(personas.therapist, personas.patient, days_ago=2, hour=10)
    pacific = ZoneInfo("America/Los_Angeles")
    yesterday = clock.local_now().date() - dt.timedelta(days=1)
    start = clock.local_datetime(yesterday, dt.time(9), pacific)
    AppointmentFactory(
        therapist=personas.therapist,
        patient=personas.patient,
        start=start,
        end=start + dt.timedelta(minutes=45),
        location=pacific_office(),
    )
    body = therapist_client.get("/notes/unsigned/").content.decode()
    assert f"{here.local_start:%a %b} {here.local_start.day} at 10:00 AM</td>" in body
    assert f"{yesterday:%a %b} {yesterday.day} at 9:00 AM Los Angeles time</td>" in body


def test_the_queue_is_for_therapists(personas, login):
    assert login(personas.front_desk).get("/notes/unsigned/").status_code == 403
    assert login(personas.patient_user).get("/notes/unsigned/").status_code == 403


def test_the_daily_digest_queues_one_message_per_therapist_with_a_count_and_link_only(personas, progress_template):
    for days_ago in (4, 5):
        session = past_appointment_for(personas.therapist, personas.patient, days_ago=days_ago)
        note_create(
            actor=personas.therapist,
            appointment=session,
            template=progress_template,
            content=complete_progress_content(),
        )
    past_appointment_for(personas.other_therapist, personas.other_patient, days_ago=1)  # not overdue yet
    assert unsigned_notes_digest() == 1
    assert unsigned_notes_digest() == 0  # once a day
    message = Message.objects.get(template="unsigned_notes_digest")
    assert (message.recipient_user, message.to_address) == (personas.therapist, personas.therapist.email)
    assert message.context["count"] == 2
    assert set(message.context) == {"therapist_first_name", "count", "queue_url"}
    assert message.context["queue_url"].endswith("/notes/unsigned/")


def test_signing_completes_a_past_session_still_booked(personas, therapist_client, past_session, progress_template):
    note = note_create(
        actor=personas.therapist,
        appointment=past_session,
        template=progress_template,
        content=complete_progress_content(),
    )
    assert past_session.status == "booked"
    therapist_client.post(f"/notes/{note.pk}/", {**form_data(complete_progress_content()), "sign": "1", "attest": "on"})
    past_session.refresh_from_db()
    assert past_session.status == "completed"


def _count_queries(client, url) -> int:
    """Queries of a page in the steady state: served once before, as a server process has (the locations' time
    zones are kept between requests once read)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_unsigned_queue_and_note_list_run_constant_queries(personas, therapist_client, login, progress_template):
    api = login(personas.therapist, api=True)

    def add_sessions(first_day, count):
        for offset in range(count):
            session = past_appointment_for(personas.therapist, personas.patient, days_ago=first_day + 7 * offset)
            note_create(actor=personas.therapist, appointment=session, template=progress_template, content={})

    add_sessions(1, 2)
    few = (_count_queries(therapist_client, "/notes/unsigned/"), _count_queries(api, "/api/notes/"))
    add_sessions(100, 5)
    many = (_count_queries(therapist_client, "/notes/unsigned/"), _count_queries(api, "/api/notes/"))
    assert many == few


def test_a_clinic_adds_a_template_in_the_admin_and_bad_definitions_are_refused(personas, login):
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()
    client = login(personas.admin)
    data = {
        "name": "Termination summary",
        "kind": "progress",
        "description": "",
        "fields": '[{"key": "summary", "label": "Summary", "type": "longtext", "required": true}]',
        "is_active": "on",
    }
    assert client.post("/admin/notes/notetemplate/add/", data).status_code == 302
    bad = {**data, "name": "Broken", "fields": '[{"key": "Bad Key", "label": "x", "type": "text"}]'}
    response = client.post("/admin/notes/notetemplate/add/", bad)
    assert response.status_code == 200
    assert "lowercase letters, digits and underscores" in response.content.decode()


def test_the_unsigned_queue_says_which_clock_its_unnamed_times_are_on(personas, therapist_client):
    past_appointment_for(personas.therapist, personas.patient, days_ago=2, hour=10)
    body = therapist_client.get("/notes/unsigned/").content.decode()
    assert "Times are clinic time, as in New York." in body
