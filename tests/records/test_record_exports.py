"""The record PDF is made by a worker: asking for it queues one job carrying ids only, the page says it is being
prepared and then offers the download, the patient is emailed only that it is ready, a failure can be asked for
again, and the file is deleted after its keeping time. Who may download which file."""

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.encryption import decrypt_bytes
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from apps.records import services
from apps.records.models import ExportAudience, ExportStatus, RecordExport
from tests.records.conftest import JOURNAL_TEXT

pytestmark = pytest.mark.django_db


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """ask(client, path): ask for a PDF as the page's button does; the job is queued once the request commits."""

    def _ask(client, path="/portal/records/download/pdf/"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(path)
        assert response.status_code == 302, response.content[:500]
        return response

    return _ask


def test_asking_for_the_pdf_queues_one_job_with_the_exports_id_only(ask, personas, login, records_worker, full_history):
    client = login(personas.patient_user)

    response = ask(client)

    assert response["Location"] == "/portal/records/"
    export = RecordExport.objects.get()
    assert (export.patient, export.requested_by, export.audience, export.format, export.status) == (
        personas.patient,
        personas.patient_user,
        ExportAudience.PATIENT,
        "pdf",
        ExportStatus.QUEUED,
    )
    assert records_worker.queued == [
        {"task": "apps.records.tasks.record_export_build", "args": [export.pk], "kwargs": {}}
    ]
    assert not AccessLog.objects.filter(action="records_download").exists()  # nothing downloaded yet


def test_the_page_says_the_pdf_is_being_prepared_and_refreshes_itself(
    ask, personas, login, records_worker, full_history
):
    client = login(personas.patient_user)
    ask(client)

    body = " ".join(client.get("/portal/records/").content.decode().split())

    assert "We are preparing your PDF. We will email you when it is ready to download." in body
    assert "Your PDF is being prepared." in body
    asked = timezone.localtime(RecordExport.objects.get().requested_at, clock.clinic_tz())
    assert f"Asked {asked:%A, %B} {asked.day} at " in body  # when it was asked, on the clinic's clock
    assert 'hx-get="/portal/records/"' in body and 'hx-trigger="every 5s"' in body
    assert "Prepare a PDF" not in body  # no second request offered while this one is made
    assert "queued" not in body.replace('data-export-status="being-prepared"', "")
    partial = client.get("/portal/records/", headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith("<div") and "Your PDF is being prepared." in partial


def test_the_worker_makes_the_same_pdf_and_the_page_offers_it(ask, personas, login, records_worker, full_history):
    client = login(personas.patient_user)
    ask(client)

    records_worker.run()

    export = RecordExport.objects.get()
    assert export.status == ExportStatus.READY
    assert export.expires_at - export.finished_at == dt.timedelta(days=settings.CLINIC_RECORD_EXPORT_KEEP_DAYS)
    path = Path(export.file.path)
    # Encrypted on disk under the clinic's keys, as the notes it quotes are in the database.
    stored = path.read_bytes()
    assert b"%PDF" not in stored
    assert decrypt_bytes(stored).startswith(b"%PDF") and export.size == len(decrypt_bytes(stored))
    # Kept privately: outside the media directory, which a web server may serve by URL.
    assert Path(settings.CLINIC_PRIVATE_ROOT) in path.parents
    assert Path(settings.MEDIA_ROOT) not in path.parents
    # The reads the record made are logged as the reader's, as when the request made it.
    assert AccessLog.objects.filter(action="journal_export", actor=personas.patient_user).count() == 2
    body = client.get("/portal/records/").content.decode()
    assert "Your PDF is ready." in body and f'action="/portal/records/files/{export.pk}/"' in body
    assert "hx-trigger" not in body  # it stops refreshing
    assert ">Prepare a new PDF</button>" in body  # beside the ready file, asking makes another

    response = client.post(f"/portal/records/files/{export.pk}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith(f'attachment; filename="record-{personas.patient.chart_number}-')
    assert response.content.startswith(b"%PDF")
    row = AccessLog.objects.get(action="records_download")
    assert (row.actor, row.patient_id, row.detail["format"]) == (personas.patient_user, personas.patient.pk, "pdf")


def test_the_patient_is_emailed_only_that_their_record_is_ready(ask, personas, login, records_worker, full_history):
    ask(login(personas.patient_user))
    records_worker.run()

    [message] = Message.objects.filter(purpose="record_ready")
    assert (message.channel, message.to_address) == ("email", personas.patient.email)
    rendered = message_render(template=message.template, context=message.context, channel="email")
    assert rendered.subject == "Your records are ready to download"
    assert f"{settings.SITE_URL.rstrip('/')}/portal/records/" in rendered.text
    for clinical in (JOURNAL_TEXT, "Addendum", "pain", personas.patient.chart_number):
        assert clinical not in rendered.text and clinical not in rendered.html
    assert set(message.context) == {"patient_first_name", "portal_url"}


def test_asking_again_while_it_is_prepared_queues_nothing_more(ask, personas, login, records_worker, full_history):
    client = login(personas.patient_user)
    ask(client)

    ask(client)

    assert RecordExport.objects.count() == 1 and len(records_worker.queued) == 1
    assert "Your PDF is already being prepared." in client.get("/portal/records/").content.decode()
    records_worker.run()
    ask(client)  # once it is ready, a new one may be asked for
    assert RecordExport.objects.filter(status=ExportStatus.QUEUED).count() == 1 and len(records_worker.queued) == 1


def test_a_failure_says_so_plainly_and_the_pdf_can_be_asked_for_again(
    ask, personas, login, records_worker, full_history, monkeypatch, caplog
):
    from apps.records import documents

    def broken(record):
        raise RuntimeError(f"layout failed on {JOURNAL_TEXT}")

    client = login(personas.patient_user)
    ask(client)
    with monkeypatch.context() as patched:
        patched.setattr(documents, "record_pdf", broken)
        records_worker.run()

    export = RecordExport.objects.get()
    assert (export.status, export.failure, export.file.name) == (ExportStatus.FAILED, services.FAILED_MESSAGE, "")
    body = client.get("/portal/records/").content.decode()
    assert services.FAILED_MESSAGE in body and JOURNAL_TEXT not in body and "Prepare a PDF" in body
    assert not Message.objects.filter(purpose="record_ready").exists()
    # The log says where it failed, never what the record held.
    assert f"Record export {export.pk} could not be prepared: RuntimeError" in caplog.text
    assert JOURNAL_TEXT not in caplog.text
    ask(client)
    records_worker.run()
    assert RecordExport.objects.order_by("pk").last().status == ExportStatus.READY


def test_a_job_delivered_twice_makes_one_file(personas, records_worker, full_history):
    export, _ = services.record_export_request(
        actor=personas.patient_user, patient=personas.patient, audience=ExportAudience.PATIENT
    )
    services.record_export_build(export_id=export.pk)
    first = RecordExport.objects.get().file.name

    services.record_export_build(export_id=export.pk)

    assert RecordExport.objects.get().file.name == first
    assert Message.objects.filter(purpose="record_ready").count() == 1


def test_prepared_files_are_deleted_after_their_keeping_time(
    ask, personas, login, records_worker, full_history, django_capture_on_commit_callbacks
):
    client = login(personas.patient_user)
    ask(client)
    records_worker.run()
    export = RecordExport.objects.get()
    path = Path(export.file.path)

    with time_machine.travel(export.expires_at - dt.timedelta(minutes=1), tick=False):
        assert services.record_exports_expire() == {"expired": 0, "failed": 0}
    assert path.exists()
    with (
        time_machine.travel(export.expires_at + dt.timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.record_exports_expire() == {"expired": 1, "failed": 0}

    export.refresh_from_db()
    assert (export.status, export.file.name) == (ExportStatus.EXPIRED, "")
    assert not path.exists()
    assert client.post(f"/portal/records/files/{export.pk}/").status_code == 404
    body = client.get("/portal/records/").content.decode()
    assert "is no longer kept" in body and "Prepare a PDF" in body


def test_a_request_no_worker_finished_is_called_failed_and_may_be_asked_again(ask, personas, login, records_worker):
    client = login(personas.patient_user)
    ask(client)
    export = RecordExport.objects.get()
    stale = export.requested_at + dt.timedelta(minutes=settings.CLINIC_RECORD_EXPORT_STALE_MINUTES + 1)

    with time_machine.travel(stale, tick=False):
        assert services.record_exports_expire() == {"expired": 0, "failed": 1}

    export.refresh_from_db()
    assert (export.status, export.failure) == (ExportStatus.FAILED, services.STALE_MESSAGE)
    ask(client)
    assert RecordExport.objects.filter(status=ExportStatus.QUEUED).count() == 1


def test_the_expiry_job_runs_hourly_on_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["records-expire-exports"]

    assert entry["task"] == "apps.records.tasks.record_exports_expire"
    assert entry["schedule"] == 60 * 60
    assert settings.CLINIC_RECORD_EXPORT_KEEP_DAYS == 7


# Who may download which file.


@pytest.fixture
def patient_file(ask, personas, login, records_worker, full_history):
    ask(login(personas.patient_user))
    records_worker.run()
    return RecordExport.objects.get(audience=ExportAudience.PATIENT)


@pytest.fixture
def request_file(ask, personas, login, records_worker, full_history):
    ask(login(personas.admin), f"/records/patients/{personas.patient.pk}/pdf/")
    records_worker.run()
    return RecordExport.objects.get(audience=ExportAudience.RECORDS_REQUEST)


def test_another_patient_cannot_download_the_patients_file(personas, login, patient_file):
    client = login(personas.other_patient_user)

    assert client.post(f"/portal/records/files/{patient_file.pk}/").status_code == 404
    assert str(patient_file.pk) not in client.get("/portal/records/").content.decode().split("records/files/")[-1][:8]
    assert not AccessLog.objects.filter(action="records_download").exists()


@pytest.mark.parametrize("persona", ["therapist", "front_desk", "billing", "admin"])
def test_staff_cannot_download_the_patients_own_file_in_the_portal(personas, login, patient_file, persona):
    assert login(getattr(personas, persona)).post(f"/portal/records/files/{patient_file.pk}/").status_code == 403
    assert not AccessLog.objects.filter(action="records_download").exists()


def test_a_signed_out_visitor_is_sent_to_sign_in(client, patient_file):
    response = client.post(f"/portal/records/files/{patient_file.pk}/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_administrator_downloads_the_records_request_file_from_the_patient_page(personas, login, request_file):
    client = login(personas.admin)
    page = " ".join(client.get(f"/patients/{personas.patient.pk}/").content.decode().split())
    assert "The PDF is ready." in page and ">New records request (PDF)</button>" in page
    assert f'action="/records/patients/{personas.patient.pk}/files/{request_file.pk}/"' in page

    response = client.post(f"/records/patients/{personas.patient.pk}/files/{request_file.pk}/")

    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    row = AccessLog.objects.get(action="records_download")
    assert (row.actor, row.patient_id, row.detail["format"]) == (personas.admin, personas.patient.pk, "pdf")
    # A records request never emails the patient.
    assert not Message.objects.filter(purpose="record_ready").exists()


@pytest.mark.parametrize("persona", ["therapist", "front_desk", "billing", "patient_user", "other_patient_user"])
def test_only_administrators_download_a_records_request_file(personas, login, request_file, persona):
    client = login(getattr(personas, persona))

    assert client.post(f"/records/patients/{personas.patient.pk}/files/{request_file.pk}/").status_code == 403
    assert client.get(f"/records/patients/{personas.patient.pk}/pdf-status/").status_code == 403
    assert not AccessLog.objects.filter(action="records_download").exists()


def test_a_file_is_found_only_under_its_own_patient_and_audience(personas, login, patient_file, request_file):
    admin = login(personas.admin)
    patient = login(personas.patient_user)

    assert admin.post(f"/records/patients/{personas.other_patient.pk}/files/{request_file.pk}/").status_code == 404
    assert admin.post(f"/records/patients/{personas.patient.pk}/files/{patient_file.pk}/").status_code == 404
    assert patient.post(f"/portal/records/files/{request_file.pk}/").status_code == 404
    assert not AccessLog.objects.filter(action="records_download").exists()


def test_the_patient_page_shows_the_records_request_being_prepared(ask, personas, login, records_worker, full_history):
    client = login(personas.admin)
    ask(client, f"/records/patients/{personas.patient.pk}/pdf/")

    page = " ".join(client.get(f"/patients/{personas.patient.pk}/").content.decode().split())
    status = client.get(f"/records/patients/{personas.patient.pk}/pdf-status/").content.decode()

    assert "The records request PDF is being prepared. This page shows when it is ready." in page
    assert "The PDF is being prepared." in page and "The PDF is being prepared." in status
    assert f'hx-get="/records/patients/{personas.patient.pk}/pdf-status/"' in page
    assert "Records request (PDF)" not in page  # asked already
    assert "Records request (JSON)" in page


def test_a_file_missing_from_the_store_is_not_found_and_not_logged(personas, login, patient_file):
    Path(patient_file.file.path).unlink()

    response = login(personas.patient_user).post(f"/portal/records/files/{patient_file.pk}/")

    assert response.status_code == 404
    assert not AccessLog.objects.filter(action="records_download").exists()


def test_a_file_under_a_retired_key_is_not_found_and_not_logged(personas, login, patient_file):
    client = login(personas.patient_user)

    with override_settings(CLINIC_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        response = client.post(f"/portal/records/files/{patient_file.pk}/")

    assert response.status_code == 404
    assert not AccessLog.objects.filter(action="records_download").exists()
