"""When a patient's email or mobile number last changed, which every way of changing them records through
patient_update, and which the migration that added it read from the charts' row history."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.db import connection

from apps.core import clock
from apps.patients.models import Patient
from apps.patients.services import patient_create, patient_sms_opt_out, patient_update

pytestmark = pytest.mark.django_db

added = importlib.import_module("apps.patients.migrations.0008_patient_contact_changed_at")


def _changed_at(patient) -> dt.datetime | None:
    return Patient.objects.get(pk=patient.pk).contact_changed_at


def test_the_api_records_a_new_email_or_number_and_nothing_else(personas, login):
    api = login(personas.front_desk, api=True)
    chart = f"/api/patients/{personas.patient.pk}/"
    assert api.patch(chart, {"pronouns": "they/them", "city": "Salem"}, format="json").status_code == 200
    assert _changed_at(personas.patient) is None
    with time_machine.travel(clock.now() + dt.timedelta(minutes=1), tick=False):
        assert api.patch(chart, {"phone": "(617) 555-0188"}, format="json").status_code == 200
        assert _changed_at(personas.patient) == clock.now()
    with time_machine.travel(clock.now() + dt.timedelta(minutes=2), tick=False):
        assert api.patch(chart, {"email": ""}, format="json").status_code == 200  # none on file any more
        assert _changed_at(personas.patient) == clock.now()


def test_a_stop_reply_changes_no_contact(personas):
    patient_sms_opt_out(patient=personas.patient)
    assert _changed_at(personas.patient) is None


def test_the_migration_takes_the_last_change_of_email_or_number_from_the_row_history(personas):
    actor = personas.front_desk
    unchanged = patient_create(
        actor=actor, legal_first_name="Una", legal_last_name="Changed", date_of_birth=dt.date(1980, 1, 1)
    )
    patient_update(actor=actor, patient=unchanged, city="Salem", email="")
    patient_update(actor=actor, patient=personas.patient, phone="+16175550188")
    patient_update(actor=actor, patient=personas.patient, email=personas.patient.email.upper(), city="Lynn")
    Patient.objects.update(contact_changed_at=None)  # as the charts stood before the field
    # One test is one transaction, where Postgres' now() stands still: the versions are given a minute each.
    for minute, event in enumerate(personas.patient.events.order_by("pgh_id")):
        type(event).objects.filter(pk=event.pk).update(pgh_created_at=clock.now() + dt.timedelta(minutes=minute))

    with connection.cursor() as cursor:
        cursor.execute(added.CONTACT_CHANGES_FROM_HISTORY)

    phone_changed = personas.patient.events.filter(phone="+16175550188").earliest("pgh_id").pgh_created_at
    assert personas.patient.events.filter(pgh_created_at__gt=phone_changed).exists()
    assert _changed_at(personas.patient) == phone_changed  # a new letter case, or another city, is no new address
    assert _changed_at(unchanged) is None  # opened with no email, and none given since
    assert _changed_at(personas.other_patient) is None  # only ever created
