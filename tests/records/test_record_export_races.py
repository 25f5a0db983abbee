"""Two requests for the same record PDF arriving together queue one job: the database keeps one export being
prepared per patient, audience and format."""

import pytest

from apps.records.models import ExportAudience, ExportStatus, RecordExport
from apps.records.services import record_export_request
from tests.locking import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_requests_at_once_prepare_one_pdf(personas, records_worker):
    def ask():
        return record_export_request(
            actor=personas.patient_user, patient=personas.patient, audience=ExportAudience.PATIENT
        )

    outcomes = at_once(ask, ask, ask)

    [export] = RecordExport.objects.all()
    assert export.status == ExportStatus.QUEUED
    assert sorted(queued for _, queued in outcomes) == [False, False, True]
    assert {returned.pk for returned, _ in outcomes} == {export.pk}
    assert records_worker.queued == [
        {"task": "apps.records.tasks.record_export_build", "args": [export.pk], "kwargs": {}}
    ]


def test_the_patients_own_copy_and_a_records_request_are_prepared_side_by_side(personas, records_worker):
    outcomes = at_once(
        lambda: record_export_request(
            actor=personas.patient_user, patient=personas.patient, audience=ExportAudience.PATIENT
        ),
        lambda: record_export_request(
            actor=personas.admin, patient=personas.patient, audience=ExportAudience.RECORDS_REQUEST
        ),
    )

    assert [queued for _, queued in outcomes] == [True, True]
    assert RecordExport.objects.filter(status=ExportStatus.QUEUED).count() == 2 and len(records_worker.queued) == 2


def test_the_database_refuses_a_second_export_being_prepared(personas):
    from django.db import IntegrityError

    from apps.core import clock

    fields = {
        "patient": personas.patient,
        "requested_by": personas.patient_user,
        "audience": ExportAudience.PATIENT,
        "requested_at": clock.now(),
    }
    RecordExport.objects.create(**fields)

    with pytest.raises(IntegrityError):
        RecordExport.objects.create(**fields)
