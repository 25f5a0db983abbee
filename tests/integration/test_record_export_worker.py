"""A real Celery worker on real Redis makes the record PDF a patient asked for: the request queues the export's id
only, the worker builds the file into the private store the web server reads, marks it ready and queues the email
saying so, and the patient downloads it from the portal."""

import pytest
from django.conf import settings

from apps.audit.models import AccessLog
from apps.notifications.models import Message
from apps.records.models import ExportStatus, RecordExport
from tests.integration.conftest import redis_emptied
from tests.integration.test_notifications_worker import _wait_until
from tests.integration.worker_process import worker_on_test_database

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_TEST_URL = "redis://127.0.0.1:6379/8"  # its own database: the other worker tests use 9 to 15


@pytest.fixture
def redis_db8():
    yield from redis_emptied(REDIS_TEST_URL)


@pytest.fixture
def worker(redis_db8, tmp_path):
    # The store every web server and worker shares.
    yield from worker_on_test_database(
        redis_url=REDIS_TEST_URL, workdir=tmp_path, env={"CLINIC_PRIVATE_ROOT": str(settings.CLINIC_PRIVATE_ROOT)}
    )


def test_the_worker_makes_the_pdf_the_patient_asked_for_and_the_portal_serves_it(
    personas, login, records_worker, worker
):
    client = login(personas.patient_user)
    assert client.post("/portal/records/download/pdf/").status_code == 302
    export = RecordExport.objects.get()
    assert records_worker.queued == [
        {"task": "apps.records.tasks.record_export_build", "args": [export.pk], "kwargs": {}}
    ]

    worker.send(records_worker.queued[0])

    def ready():
        return RecordExport.objects.filter(pk=export.pk, status=ExportStatus.READY).exists()

    assert _wait_until(ready, timeout=120, step=0.2), worker.log()
    assert Message.objects.filter(purpose="record_ready", patient=personas.patient, channel="email").count() == 1
    assert "Your PDF is ready." in client.get("/portal/records/").content.decode()
    response = client.post(f"/portal/records/files/{export.pk}/")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    row = AccessLog.objects.get(action="records_download")
    assert (row.actor, row.patient_id, row.detail["format"]) == (personas.patient_user, personas.patient.pk, "pdf")
