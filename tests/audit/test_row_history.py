"""Row history is kept by database triggers, so it holds even for bulk updates that skip save()."""

import pytest
from django.db import connection

from apps.audit.models import AccessLog
from apps.patients.models import Patient

pytestmark = pytest.mark.django_db


def _history(patient):
    return list(Patient.pgh_event_model.objects.filter(pgh_obj_id=patient.pk).order_by("pgh_id"))


def test_bulk_update_is_recorded_in_row_history(personas):
    Patient.objects.filter(pk=personas.patient.pk).update(phone="+16175550199")
    events = _history(personas.patient)
    assert events[-1].pgh_label == "update"
    assert events[-1].phone == "+16175550199"


def test_raw_sql_update_is_recorded_too(personas):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_patient SET city = 'Salem' WHERE id = %s", [personas.patient.pk])
    assert _history(personas.patient)[-1].city == "Salem"


def test_history_records_who_changed_a_chart_through_the_api(personas, login):
    client = login(personas.front_desk, api=True)
    client.patch(f"/api/patients/{personas.patient.pk}/", {"city": "Lowell"}, format="json")
    event = _history(personas.patient)[-1]
    assert event.city == "Lowell"
    assert event.pgh_context.metadata["user"] == personas.front_desk.pk


def test_the_access_log_cannot_be_edited_or_deleted(personas):
    from django.db import ProgrammingError, transaction

    row = AccessLog.objects.create(action="chart_view", subject_type="patients.patient", subject_id="1")
    with pytest.raises(ProgrammingError), transaction.atomic():
        AccessLog.objects.filter(pk=row.pk).update(action="nothing")
    with pytest.raises(ProgrammingError), transaction.atomic():
        AccessLog.objects.filter(pk=row.pk).delete()
