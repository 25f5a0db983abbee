"""The downloads: the patient's own in the portal, and an administrator's for a records request. Who may, what is
logged, and bad requests."""

import json

import pytest

from apps.audit.models import AccessLog

pytestmark = pytest.mark.django_db


def test_the_portal_page_offers_both_downloads_and_is_in_the_menu(personas, login):
    body = login(personas.patient_user).get("/portal/records/").content.decode()

    assert "Your records" in body
    assert 'action="/portal/records/download/pdf/"' in body and 'action="/portal/records/download/json/"' in body
    assert 'href="/portal/records/"' in body  # the menu entry


def test_the_patient_downloads_a_pdf_and_the_download_is_logged(
    personas, login, full_history, records_worker, django_capture_on_commit_callbacks
):
    """Asked for, made by the worker, then downloaded (tests/records/test_record_exports.py has the steps)."""
    from apps.records.models import RecordExport

    client = login(personas.patient_user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/portal/records/download/pdf/").status_code == 302
    records_worker.run()
    response = client.post(f"/portal/records/files/{RecordExport.objects.get().pk}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith(f'attachment; filename="record-{personas.patient.chart_number}-')
    assert response.content.startswith(b"%PDF")
    row = AccessLog.objects.get(action="records_download")
    assert (row.actor, row.patient_id, row.detail["format"]) == (personas.patient_user, personas.patient.pk, "pdf")
    assert AccessLog.objects.filter(action="journal_export", actor=personas.patient_user).count() == 2
    assert AccessLog.objects.filter(action="income_view", actor=personas.patient_user).count() == 1


def test_the_patient_downloads_json_of_their_own_record_only(personas, login, full_history):
    response = login(personas.patient_user).post("/portal/records/download/json/")

    data = json.loads(response.content)
    assert response["Content-Type"] == "application/json"
    assert data["patient"]["chart_number"] == personas.patient.chart_number
    other = json.loads(login(personas.other_patient_user).post("/portal/records/download/json/").content)
    assert other["patient"]["chart_number"] == personas.other_patient.chart_number
    assert other["charges"] == [] and other["journal"] == []


@pytest.mark.parametrize("persona", ["front_desk", "therapist", "billing", "admin"])
def test_staff_have_no_portal_download(personas, login, persona):
    client = login(getattr(personas, persona))

    assert client.get("/portal/records/").status_code == 403
    assert client.post("/portal/records/download/json/").status_code == 403
    assert not AccessLog.objects.filter(action="records_download").exists()


def test_bad_requests_get_clear_answers(personas, login):
    client = login(personas.patient_user)

    assert client.post("/portal/records/download/xml/").status_code == 404
    assert client.get("/portal/records/download/pdf/").status_code == 405
    assert not AccessLog.objects.filter(action="records_download").exists()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.post("/portal/records/download/pdf/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_administrator_exports_a_patients_record_from_the_patient_page(personas, login, full_history):
    """With the journal entries the patient shared only: the others were never the clinic's to read."""
    from apps.outcomes.models import JournalEntry
    from apps.outcomes.services import journal_entry_share

    shared = JournalEntry.objects.filter(patient=personas.patient).order_by("pk").first()
    journal_entry_share(actor=personas.patient_user, entry=shared, shared=True)
    client = login(personas.admin)
    page = client.get(f"/patients/{personas.patient.pk}/").content.decode()
    assert f'action="/records/patients/{personas.patient.pk}/pdf/"' in page
    assert "Export records (PDF)" not in page  # the notes' own export is the treating psychotherapist's

    response = client.post(f"/records/patients/{personas.patient.pk}/json/")

    assert response.status_code == 200
    record = json.loads(response.content)
    assert record["patient"]["chart_number"] == personas.patient.chart_number
    assert [entry["shared_with_therapist"] for entry in record["journal"]] == [True]
    row = AccessLog.objects.get(action="records_download")
    assert (row.actor, row.patient_id, row.detail["format"]) == (personas.admin, personas.patient.pk, "json")
    assert AccessLog.objects.filter(action="journal_export", actor=personas.admin).count() == 1


@pytest.mark.parametrize("persona", ["front_desk", "therapist", "billing", "patient_user", "other_patient_user"])
def test_only_administrators_export_for_a_records_request(personas, login, persona):
    client = login(getattr(personas, persona))

    assert client.post(f"/records/patients/{personas.patient.pk}/pdf/").status_code == 403
    if persona in ("front_desk", "therapist", "billing"):
        page = client.get(f"/patients/{personas.patient.pk}/").content.decode()
        assert "/records/patients/" not in page
    assert not AccessLog.objects.filter(action="records_download").exists()


def test_an_unknown_patient_or_format_is_not_found(personas, login):
    client = login(personas.admin)

    assert client.post("/records/patients/999999/pdf/").status_code == 404
    assert client.post(f"/records/patients/{personas.patient.pk}/docx/").status_code == 404


def test_an_administrator_releases_session_notes_on_the_clinic_settings_page(personas, login, full_history):
    from apps.accounts.forms import ClinicSettingsForm
    from apps.core.models import ClinicSettings

    admin = login(personas.admin)
    page = admin.get("/accounts/clinic-settings/").content.decode()
    assert "Patients&#x27; record downloads include their signed session notes" in page
    data = {
        name: value
        for name, value in ClinicSettingsForm(instance=ClinicSettings.load()).initial.items()
        if value is not None and value is not False
    }
    data["records_release_session_notes"] = "on"
    assert admin.post("/accounts/clinic-settings/", data).status_code == 302

    record = json.loads(login(personas.patient_user).post("/portal/records/download/json/").content)
    assert record["session_notes_released"] is True
    assert len(record["session_notes"]) == 2
