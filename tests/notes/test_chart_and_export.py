"""The therapist's clinical chart page (constant queries) and the records export PDF."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AccessLog
from apps.notes.export import records_html
from apps.notes.services import addendum_add, note_create, note_sign, process_note_create

from .conftest import CANARY, complete_progress_content, past_appointment_for

pytestmark = pytest.mark.django_db


def _sessions_with_notes(personas, template, count: int, *, first_day: int = 1):
    notes = []
    for offset in range(count):
        session = past_appointment_for(personas.therapist, personas.patient, days_ago=first_day + 7 * offset)
        note = note_create(
            actor=personas.therapist,
            appointment=session,
            template=template,
            content=complete_progress_content(pain_now=offset % 11),
        )
        if offset % 2 == 0:
            note = note_sign(actor=personas.therapist, note=note, attest=True)
            addendum_add(actor=personas.therapist, note=note, text="Addendum.")
        notes.append(note)
    return notes


def _chart_queries(client, patient):
    """Queries of the chart in the steady state: served once before, as a server process has (the locations' time
    zones are kept between requests once read)."""
    client.get(f"/notes/patients/{patient.pk}/chart/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/notes/patients/{patient.pk}/chart/")
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def test_the_chart_page_lists_sessions_notes_and_trends_in_constant_queries(personas, login, progress_template):
    client = login(personas.therapist)
    _sessions_with_notes(personas, progress_template, 2)
    few, body = _chart_queries(client, personas.patient)
    assert "Signed" in body and "Draft" in body and "1 addendum" in body
    _sessions_with_notes(personas, progress_template, 6, first_day=100)
    many, body = _chart_queries(client, personas.patient)
    assert many == few
    assert 'id="chart-data"' in body and "notes_chart.js" in body


def test_the_charts_sessions_name_their_service_not_only_its_billing_code(personas, login, progress_template):
    [note] = _sessions_with_notes(personas, progress_template, 1)
    service = note.appointment.service_type
    _count, body = _chart_queries(login(personas.therapist), personas.patient)
    assert f"{service.name} ({service.code})" in re.sub(r"<[^>]+>", "", body)


def test_the_charts_notes_are_checked_against_their_own_patient_not_a_list_of_every_treated_one(
    personas, login, progress_template
):
    _sessions_with_notes(personas, progress_template, 2)
    with CaptureQueriesContext(connection) as captured:
        assert login(personas.therapist).get(f"/notes/patients/{personas.patient.pk}/chart/").status_code == 200
    [notes] = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "notes_sessionnote"."id"')]
    assert '"notes_sessionnote"."patient_id" IN (SELECT' not in notes
    assert 'EXISTS(SELECT 1 AS "a" FROM "patients_patient"' in notes


def test_the_chart_data_endpoint_carries_pain_from_notes(personas, login, progress_template):
    _sessions_with_notes(personas, progress_template, 3)
    data = login(personas.therapist).get(f"/notes/patients/{personas.patient.pk}/chart/data/").json()
    assert [point["now"] for point in data["pain"]] == [2, 1, 0]
    assert set(data["measures"]) == {"pain_nrs", "phq9", "gad7", "phq15", "pcs"}


@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "billing", "admin", "patient_user"])
def test_only_treating_therapists_open_the_clinical_chart(personas, login, persona):
    client = login(getattr(personas, persona))
    assert client.get(f"/notes/patients/{personas.patient.pk}/chart/").status_code == 404
    assert client.get(f"/notes/patients/{personas.patient.pk}/chart/data/").status_code == 404
    row = AccessLog.objects.order_by("-id").first()
    assert (row.action, row.allowed) == ("clinical_chart_view", False)


def test_the_patient_page_links_the_clinical_chart_for_the_therapist_only(personas, login):
    chart_url = f"/notes/patients/{personas.patient.pk}/chart/"
    assert chart_url in login(personas.therapist).get(f"/patients/{personas.patient.pk}/").content.decode()
    assert chart_url not in login(personas.front_desk).get(f"/patients/{personas.patient.pk}/").content.decode()


def test_the_export_holds_signed_notes_and_addenda_but_never_process_notes(personas, progress_template):
    signed, draft = _sessions_with_notes(personas, progress_template, 2)
    process_note_create(actor=personas.therapist, patient=personas.patient, text=CANARY)
    html = records_html(user=personas.admin, patient=personas.patient)
    assert "Addendum." in html and "Signed by" in html
    assert CANARY not in html
    assert html.count("Psychodynamic TMS progress note") == 1  # the draft is not part of the record
    rows = AccessLog.objects.filter(action="note_export")
    assert [row.subject_id for row in rows] == [str(signed.pk)]


def test_the_treating_psychotherapist_exports_a_pdf(personas, login, progress_template):
    _sessions_with_notes(personas, progress_template, 1)
    response = login(personas.therapist).post(f"/notes/patients/{personas.patient.pk}/records.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


# An admin answers a records request through the records app, which releases notes as the clinic's settings say.
@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "billing", "admin", "patient_user"])
def test_others_cannot_export(personas, login, persona):
    response = login(getattr(personas, persona)).post(f"/notes/patients/{personas.patient.pk}/records.pdf")
    assert response.status_code == 404
