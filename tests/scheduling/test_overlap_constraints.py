"""The database itself refuses double booking, even for writes that skip the services."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from apps.scheduling.models import Appointment, AppointmentStatus
from tests.factories import AppointmentFactory, PatientFactory, TherapistFactory

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def _raw(**fields) -> Appointment:
    return AppointmentFactory(**fields)


def _refused(**fields) -> None:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        _raw(**fields)
    return caught.value.__cause__.diag.constraint_name


def test_same_therapist_cannot_hold_two_overlapping_sessions(clinic):
    _raw(therapist=clinic.therapist, patient=clinic.patient, start=at(MONDAY, 10))
    other_patient = PatientFactory()
    name = _refused(therapist=clinic.therapist, patient=other_patient, start=at(MONDAY, 10, 30))
    assert name == "appointment_no_therapist_overlap"


def test_same_room_cannot_hold_two_overlapping_sessions(clinic):
    _raw(therapist=clinic.therapist, patient=clinic.patient, room=clinic.willow, start=at(MONDAY, 10))
    name = _refused(
        therapist=clinic.other_therapist, patient=clinic.other_patient, room=clinic.willow, start=at(MONDAY, 10, 15)
    )
    assert name == "appointment_no_room_overlap"


def test_same_patient_cannot_be_in_two_sessions_at_once(clinic):
    _raw(therapist=clinic.therapist, patient=clinic.patient, start=at(MONDAY, 10))
    name = _refused(therapist=clinic.other_therapist, patient=clinic.patient, start=at(MONDAY, 10, 40))
    assert name == "appointment_no_patient_overlap"


def test_back_to_back_sessions_do_not_overlap(clinic):
    first = _raw(therapist=clinic.therapist, patient=clinic.patient, room=clinic.willow, start=at(MONDAY, 10))
    second = _raw(
        therapist=clinic.therapist,
        patient=PatientFactory(),
        room=clinic.willow,
        start=first.end,
        end=first.end + dt.timedelta(minutes=45),
    )
    assert second.start == first.end


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED])
def test_cancelled_sessions_free_the_slot(clinic, status):
    _raw(therapist=clinic.therapist, patient=clinic.patient, room=clinic.willow, start=at(MONDAY, 10), status=status)
    again = _raw(therapist=clinic.therapist, patient=clinic.patient, room=clinic.willow, start=at(MONDAY, 10))
    assert again.pk


def test_reactivating_a_cancelled_session_over_a_new_booking_is_refused(clinic):
    old = _raw(therapist=clinic.therapist, patient=clinic.patient, start=at(MONDAY, 10), status="cancelled")
    _raw(therapist=clinic.therapist, patient=PatientFactory(), start=at(MONDAY, 10))
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=old.pk).update(status=AppointmentStatus.BOOKED)


def test_group_meetings_without_a_patient_only_collide_on_therapist_and_room(clinic):
    facilitator = TherapistFactory()
    _raw(therapist=facilitator, patient=None, service_type=clinic.group, start=at(MONDAY, 18))
    other = _raw(therapist=TherapistFactory(), patient=None, service_type=clinic.group, start=at(MONDAY, 18))
    assert other.pk
