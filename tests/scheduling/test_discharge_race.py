"""A discharge and a booking for the same patient at the same moment: whichever locks the patient's row first wins,
and the other is refused. The database holds it (`appointment_patient_in_care`), so a booking whose check read the
patient before the discharge committed is refused at its write instead of leaving a session booked for someone
discharged."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from apps.core import clock
from apps.core.errors import Conflict, Unprocessable
from apps.patients.models import Patient, PatientStatus
from apps.patients.services import patient_discharge
from apps.scheduling.models import Appointment
from apps.scheduling.services import series_book
from tests.locking import waits_for_own_transaction

from .conftest import OVERRIDE, book, discharge_held, in_three_days


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["one session", "a weekly series"])
def test_a_booking_that_read_the_patient_before_a_discharge_committed_is_refused_at_its_write(personas, ready, how):
    patient = Patient.objects.get(pk=personas.patient.pk)  # read while active, as a booking form reads it
    discharge = discharge_held(patient.pk)
    # The discharge holds the row; the booking's own check passes on the row it read, then its write waits.
    discharge.release_soon()
    with pytest.raises(Unprocessable, match="This patient has been discharged."):
        if how == "one session":
            book(personas, ready, patient, in_three_days())
        else:
            series_book(
                actor=personas.front_desk,
                therapist=personas.therapist,
                patient=patient,
                service_type=ready,
                first_date=clock.local_now().date() + dt.timedelta(days=3),
                local_start_time=dt.time(10),
                occurrence_count=6,
                override_reason=OVERRIDE,
            )
    discharge.join()
    assert discharge.committed.is_set()
    assert not Appointment.objects.filter(patient_id=patient.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_discharge_waits_for_a_booking_in_flight_and_then_sees_its_session(personas, ready):
    refusals: list[str] = []

    def discharge():
        try:
            patient_discharge(actor=personas.front_desk, patient=Patient.objects.get(pk=personas.patient.pk))
        except Conflict as exc:
            refusals.append(exc.message)

    waits_for_own_transaction(discharge, lambda: book(personas, ready, personas.patient, in_three_days()))
    assert refusals and "has 1 booked session to come" in refusals[0]
    assert Patient.objects.get(pk=personas.patient.pk).status == PatientStatus.ACTIVE


@pytest.mark.django_db
def test_the_database_refuses_a_session_for_a_discharged_patient_however_it_is_written(personas, ready):
    booked = book(personas, ready, personas.patient, in_three_days())
    booked.status = "cancelled"
    booked.save()
    Patient.objects.filter(pk=personas.patient.pk).update(
        status=PatientStatus.DISCHARGED, discharged_on=clock.local_now().date()
    )
    fields = {f.name: getattr(booked, f.name) for f in Appointment._meta.concrete_fields if f.name != "id"}
    with pytest.raises(IntegrityError, match="has been discharged"), transaction.atomic():
        Appointment.objects.create(**{**fields, "status": "booked"})
    # Recording what happened at a session already held still works after the discharge.
    booked.status = "completed"
    booked.save()
    assert Appointment.objects.get(pk=booked.pk).status == "completed"
