"""The patient's record: one selector builds it; the PDF and the JSON render from it and agree; reads are logged."""

import json
import re
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AccessLog
from apps.core.models import ClinicSettings
from apps.core.money import money_text
from apps.records.documents import record_html, record_json
from apps.records.selectors import patient_record
from tests.notes.conftest import CANARY

from .conftest import ADDENDUM_TEXT, JOURNAL_TEXT

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(settings.BASE_DIR) / "docs" / "records.schema.json").read_text())


def _release_notes(on: bool = True) -> None:
    ClinicSettings.objects.update_or_create(id=1, defaults={"records_release_session_notes": on})


def test_the_record_holds_every_section(personas, full_history):
    record = patient_record(user=personas.patient_user, patient=personas.patient)

    assert record["patient"]["legal_last_name"] == "Ient"
    kinds = [(row["kind"], row["status"]) for row in record["sessions"]]
    assert kinds.count(("individual", "completed")) == 3
    assert ("individual", "booked") in kinds  # the coming session
    group = [row for row in record["sessions"] if row["kind"] == "group"]
    assert [row["program"] for row in group] == ["TMS recovery group"] * 2
    assert len(record["charges"]) == 3 and len(record["payments"]) == 2
    assert [a["reason"] for a in record["adjustments"]] == ["Parking refund"]
    assert [q["instrument"] for q in record["questionnaires"]] == ["pain_nrs", "pain_nrs"]
    assert [j["text"] for j in record["journal"]] == [f"{JOURNAL_TEXT} (0)", f"{JOURNAL_TEXT} (1)"]
    assert [a["household_size"] for a in record["sliding_scale_applications"]] == [2]
    assert record["balance"] == sum(c["amount"] for c in record["charges"]) - sum(
        p["amount"] for p in record["payments"]
    ) - sum(a["amount"] for a in record["adjustments"])


def test_session_notes_are_left_out_unless_the_clinic_releases_them(personas, full_history):
    record = patient_record(user=personas.patient_user, patient=personas.patient)

    assert (record["session_notes_released"], record["session_notes"]) == (False, [])
    assert not AccessLog.objects.filter(action="note_export").exists()
    assert "not part of this download" in record_html(record)


def test_released_notes_are_the_signed_ones_only_never_drafts_or_process_notes(personas, full_history):
    _release_notes()

    record = patient_record(user=personas.patient_user, patient=personas.patient)

    assert len(record["session_notes"]) == 2  # the draft is not there
    assert record["session_notes"][0]["addenda"][0]["text"] == ADDENDUM_TEXT
    labels = {field["label"] for field in record["session_notes"][0]["fields"]}
    assert labels  # the template's answers, by their labels
    both = record_json(record).decode() + record_html(record)
    assert CANARY not in both and "DRAFT-ONLY" not in both
    assert AccessLog.objects.filter(action="note_export", actor=personas.patient_user).count() == 2


def test_the_json_follows_the_documented_schema(personas, full_history):
    _release_notes()

    data = json.loads(record_json(patient_record(user=personas.patient_user, patient=personas.patient)))

    jsonschema.validate(data, SCHEMA)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["patient"]["date_of_birth"])
    assert re.fullmatch(r"-?\d+\.\d{2}", data["charges"][0]["amount"])
    assert data["format"] == "clinic-patient-record" and data["version"] == 3


def test_the_pdf_and_the_json_say_the_same(personas, full_history):
    _release_notes()
    record = patient_record(user=personas.patient_user, patient=personas.patient)
    data = json.loads(record_json(record))
    html = record_html(record)

    for section, row in [
        ("sessions", "session"),
        ("charges", "charge"),
        ("payments", "payment"),
        ("adjustments", "adjustment"),
        ("statements", "statement"),
        ("questionnaires", "questionnaire"),
        ("journal", "journal"),
        ("sliding_scale_applications", "application"),
        ("session_notes", "note"),
    ]:
        assert html.count(f'data-row="{row}"') == len(data[section]), section
    for charge in data["charges"]:
        assert charge["description"] in html and money_text(charge["amount"]) in html
    for payment in data["payments"]:
        assert payment["receipt_number"] in html
    for entry in data["journal"]:
        assert entry["text"] in html
    assert money_text(data["balance"]) in html
    assert money_text(data["sliding_scale_applications"][0]["annual_income"]) in html


def test_building_the_record_costs_the_same_queries_for_more_history(personas, add_history):
    add_history(1)
    with CaptureQueriesContext(connection) as small:
        patient_record(user=personas.patient_user, patient=personas.patient)
    _release_notes()
    add_history(4, first_week=1)

    with CaptureQueriesContext(connection) as large:
        record = patient_record(user=personas.patient_user, patient=personas.patient)

    assert len(record["charges"]) == 5
    # Releasing notes adds its own fixed queries (the notes, their addenda and one log INSERT).
    assert len(large.captured_queries) <= len(small.captured_queries) + 3


def _ladder_and_library(personas) -> None:
    """Two care-level moves and two items shared from the library, one a prompt the patient wrote from."""
    from apps.education import services as education
    from apps.education.models import CareLevel as ItemLevel
    from apps.education.models import ItemKind
    from apps.ladder.services import care_level_set

    patient = personas.patient
    care_level_set(patient=patient, level="education", reason="Starting with the reading.", actor=personas.front_desk)
    care_level_set(patient=patient, level="individual", reason="Ready for weekly sessions.", actor=personas.therapist)
    prompt = education.library_item_create(
        actor=personas.therapist,
        title="When did the pain begin?",
        kind=ItemKind.JOURNALING_PROMPT,
        care_level=ItemLevel.EDUCATION,
        description="Write freely.",
    )
    reading = education.library_item_create(
        actor=personas.admin,
        title="Healing Back Pain, chapter 1",
        kind=ItemKind.READING,
        care_level=ItemLevel.EDUCATION,
        link="https://example.test/chapter-1",
    )
    shared = education.assignment_create(actor=personas.therapist, patient=patient, item=prompt, note="No rush.")
    education.prompt_entry_write(actor=personas.patient_user, assignment=shared, text="It began after the move.")
    education.assignment_create(actor=personas.therapist, patient=patient, item=reading)


def test_the_record_holds_the_care_level_history_and_the_library_with_logged_reads(personas, full_history):
    _ladder_and_library(personas)

    record = patient_record(user=personas.patient_user, patient=personas.patient)

    care = record["care_level"]
    assert (care["level"], care["level_label"]) == ("individual", "Individual therapy")
    assert [(m["from_label"], m["to_label"], m["reason"]) for m in care["moves"]] == [
        ("Not placed yet", "Education", "Starting with the reading."),
        ("Education", "Individual therapy", "Ready for weekly sessions."),
    ]
    assert [e["title"] for e in record["education"]] == ["When did the pain begin?", "Healing Back Pain, chapter 1"]
    prompt = record["education"][0]
    assert (prompt["note"], [e["text"] for e in prompt["entries"]]) == ("No rush.", ["It began after the move."])
    assert record["education"][1]["link"] == "https://example.test/chapter-1"
    logged = AccessLog.objects.filter(actor=personas.patient_user)
    assert logged.filter(action="care_level_export").count() == 2
    assert logged.filter(action="education_journal_export").count() == 1
    assert logged.filter(action="education_note_export").count() == 1  # the therapist's "No rush."
    data = json.loads(record_json(record))
    jsonschema.validate(data, SCHEMA)
    html = record_html(record)
    assert html.count('data-row="care-level-move"') == 2 and html.count('data-row="education"') == 2
    assert "Ready for weekly sessions." in html and "It began after the move." in html


def test_an_unplaced_patient_with_nothing_shared_has_empty_sections(personas, full_history):
    record = patient_record(user=personas.patient_user, patient=personas.patient)

    assert record["care_level"] == {"level": "", "level_label": "Not placed yet", "since": None, "moves": []}
    assert record["education"] == []
    assert "Not placed yet" in record_html(record) and "Nothing shared." in record_html(record)
