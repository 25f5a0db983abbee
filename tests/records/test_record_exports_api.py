"""The records request through the API: an administrator asks for the PDF, follows it and downloads it, through the
services and access-log rows the patient's page uses; everyone else is refused without a word about the patient."""

import datetime as dt

import pytest
import time_machine
from rest_framework.test import APIClient

from apps.audit.models import AccessLog
from apps.records import services
from apps.records.models import ExportAudience, RecordExport

pytestmark = pytest.mark.django_db


def _exports(patient) -> str:
    return f"/api/patients/{patient.pk}/record-exports/"


def _export(export) -> str:
    return f"/api/patients/{export.patient_id}/record-exports/{export.pk}/"


@pytest.fixture
def api_ask(django_capture_on_commit_callbacks):
    """api_ask(client, patient): POST as a client would; the job is queued once the request commits."""

    def _ask(client, patient):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(_exports(patient))

    return _ask


@pytest.fixture
def admin_api(personas, login):
    return login(personas.admin, api=True)


@pytest.fixture
def ready_export(api_ask, admin_api, personas, records_worker):
    assert api_ask(admin_api, personas.patient).status_code == 202
    records_worker.run()
    return RecordExport.objects.get(audience=ExportAudience.RECORDS_REQUEST)


def test_asking_answers_202_with_the_export_and_queues_one_job(api_ask, admin_api, personas, records_worker):
    response = api_ask(admin_api, personas.patient)

    assert response.status_code == 202
    body = response.json()
    export = RecordExport.objects.get()
    assert (export.audience, export.requested_by) == (ExportAudience.RECORDS_REQUEST, personas.admin)
    assert body["id"] == export.pk and body["patient"] == personas.patient.pk
    assert (body["status"], body["status_label"], body["format"]) == ("queued", "Being prepared", "pdf")
    assert body["requested_by"] == personas.admin.full_name
    assert (body["ready_at"], body["expires_at"], body["failure"]) == (None, None, "")
    assert body["links"] == {"status": _export(export), "download": None}
    assert records_worker.queued == [
        {"task": "apps.records.tasks.record_export_build", "args": [export.pk], "kwargs": {}}
    ]


def test_asking_again_while_it_is_prepared_answers_the_same_export(api_ask, admin_api, personas, records_worker):
    first = api_ask(admin_api, personas.patient).json()

    again = api_ask(admin_api, personas.patient)

    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert RecordExport.objects.count() == 1 and len(records_worker.queued) == 1


def test_the_status_follows_the_export_until_ready_and_the_file_downloads(api_ask, admin_api, personas, records_worker):
    asked = api_ask(admin_api, personas.patient).json()
    export = RecordExport.objects.get(pk=asked["id"])
    assert admin_api.get(_export(export)).json()["status"] == "queued"
    waiting = admin_api.get(asked["links"]["status"] + "download/")
    assert waiting.status_code == 409
    assert waiting.json()["error"]["message"] == "This file is still being prepared. Try again once it is ready."

    records_worker.run()
    body = admin_api.get(asked["links"]["status"]).json()
    export.refresh_from_db()

    assert body["status"] == "ready"
    assert body["ready_at"] is not None and body["expires_at"] is not None
    assert dt.datetime.fromisoformat(body["expires_at"]) == export.expires_at
    assert body["links"]["download"] == _export(export) + "download/"
    response = admin_api.get(body["links"]["download"], HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{export.download_name}"'
    assert response["Cache-Control"] == "private, no-store"


def test_an_expired_file_is_not_found_and_says_to_ask_again(admin_api, ready_export):
    with time_machine.travel(ready_export.expires_at + dt.timedelta(minutes=1)):
        services.record_exports_expire()

    assert admin_api.get(_export(ready_export)).json()["status"] == "expired"
    response = admin_api.get(_export(ready_export) + "download/")
    assert response.status_code == 404
    assert "Ask for it again." in response.json()["error"]["message"]
    assert not AccessLog.objects.filter(action="records_download").exists()


def test_a_failed_export_says_why_and_its_download_says_to_ask_again(api_ask, admin_api, personas, records_worker):
    export_id = api_ask(admin_api, personas.patient).json()["id"]
    services.record_export_fail(export_id=export_id, message=services.FAILED_MESSAGE)
    export = RecordExport.objects.get(pk=export_id)

    body = admin_api.get(_export(export)).json()
    assert (body["status"], body["failure"], body["ready_at"]) == ("failed", services.FAILED_MESSAGE, None)
    assert admin_api.get(_export(export) + "download/").status_code == 404
    # Failed, it no longer holds the place: asking again makes a new one.
    assert api_ask(admin_api, personas.patient).status_code == 202


def test_the_api_and_the_patients_page_write_the_same_access_log_rows(
    api_ask, admin_api, personas, login, ready_export, django_capture_on_commit_callbacks
):
    def rows(after: int) -> list:
        written = AccessLog.objects.filter(pk__gt=after).order_by("pk")
        return list(written.values_list("action", "actor", "patient_id", "allowed", "detail"))

    def last() -> int:
        return AccessLog.objects.order_by("pk").values_list("pk", flat=True).last() or 0

    page = login(personas.admin)
    # Asking for a new file, then downloading the ready one, on the page and then through the API.
    before = last()
    with django_capture_on_commit_callbacks(execute=True):
        page.post(f"/records/patients/{personas.patient.pk}/pdf/")
    page.post(f"/records/patients/{personas.patient.pk}/files/{ready_export.pk}/")
    by_page = rows(before)
    RecordExport.objects.exclude(pk=ready_export.pk).delete()
    before = last()
    api_ask(admin_api, personas.patient)
    admin_api.get(_export(ready_export) + "download/")

    assert rows(before) == by_page
    assert [row[0] for row in by_page] == ["chart_view", "chart_view", "records_download"]
    assert by_page[-1][4] == {"format": "pdf", "session_notes": ready_export.session_notes}


PATIENT_WORDS = ("Ient", "Pat ")


@pytest.mark.parametrize(
    "persona", ["therapist", "other_therapist", "front_desk", "billing", "patient_user", "other_patient_user"]
)
def test_only_an_administrator_asks_follows_or_downloads(api_ask, personas, login, ready_export, persona):
    client = login(getattr(personas, persona), api=True)
    logged = AccessLog.objects.count()

    answers = [
        api_ask(client, personas.patient),
        client.get(_export(ready_export)),
        client.get(_export(ready_export) + "download/"),
    ]

    assert [answer.status_code for answer in answers] == [403, 403, 403]
    for answer in answers:
        text = answer.content.decode()
        assert personas.patient.chart_number not in text and not any(word in text for word in PATIENT_WORDS)
    assert RecordExport.objects.count() == 1
    # Refused before the patient is looked up: no chart was opened, nothing downloaded.
    assert AccessLog.objects.count() == logged


def test_a_signed_out_caller_is_refused(api_ask, personas, ready_export):
    client = APIClient()

    assert api_ask(client, personas.patient).status_code == 403
    assert client.get(_export(ready_export)).status_code == 403
    response = client.get(_export(ready_export) + "download/")
    assert response.status_code == 403 and not response.content.startswith(b"%PDF")
    assert RecordExport.objects.count() == 1


def test_an_export_is_found_only_under_its_own_patient_and_audience(
    api_ask, admin_api, personas, login, records_worker, ready_export, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        login(personas.patient_user).post("/portal/records/download/pdf/")
    own_copy = RecordExport.objects.get(audience=ExportAudience.PATIENT)
    elsewhere = f"/api/patients/{personas.other_patient.pk}/record-exports/{ready_export.pk}/"

    assert admin_api.get(elsewhere).status_code == 404
    assert admin_api.get(elsewhere + "download/").status_code == 404
    assert admin_api.get(_export(own_copy)).status_code == 404
    assert admin_api.get("/api/patients/999999/record-exports/1/").status_code == 404
    assert admin_api.post("/api/patients/999999/record-exports/").status_code == 404
    assert not AccessLog.objects.filter(action="records_download").exists()
