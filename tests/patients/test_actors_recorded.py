"""Every chart service records who acted in the audit log, naming the fields it changed but never their values."""

import datetime as dt

import pytest

from apps.audit.models import AccessLog
from apps.patients import services

pytestmark = pytest.mark.django_db

NEW = {"legal_first_name": "Rosa", "legal_last_name": "Quintero", "date_of_birth": dt.date(1979, 3, 4)}


def _entry(action: str) -> AccessLog:
    return AccessLog.objects.get(action=action)


def test_opening_a_chart_records_who_opened_it(personas):
    patient = services.patient_create(actor=personas.front_desk, **NEW)
    entry = _entry("patient_create")
    assert (entry.actor, entry.subject_id, entry.patient_id) == (personas.front_desk, str(patient.pk), patient.pk)
    assert entry.detail == {"fields": ["date_of_birth", "legal_first_name", "legal_last_name"]}


def test_a_demographic_change_records_who_and_which_fields_not_the_values(personas):
    services.patient_update(actor=personas.front_desk, patient=personas.patient, phone="(617) 555-0123")
    entry = _entry("patient_update")
    assert (entry.actor, entry.patient_id) == (personas.front_desk, personas.patient.pk)
    assert entry.detail == {"fields": ["phone"]}
    assert "555" not in str(entry.detail)


def test_reminder_preferences_record_who_set_them(personas):
    services.patient_reminder_preferences_set(
        actor=personas.patient_user, patient=personas.patient, email=False, sms=False, sms_consent=False
    )
    entry = _entry("reminder_preferences_change")
    assert (entry.actor, entry.patient_id) == (personas.patient_user, personas.patient.pk)
    assert entry.detail["after"] == {"reminder_email": False, "reminder_sms": False, "sms_consent": False}


def test_a_discharge_records_who_discharged(personas):
    services.patient_discharge(actor=personas.therapist, patient=personas.patient)
    entry = _entry("patient_discharge")
    assert (entry.actor, entry.patient_id) == (personas.therapist, personas.patient.pk)
