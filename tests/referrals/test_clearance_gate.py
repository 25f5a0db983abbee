"""The clearance gate, through scheduling's booking checks: with the setting on, a patient's first psychotherapy
session (single or series) needs a clearance on file or a documented exception; later sessions never do."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.errors import Conflict, PermissionDenied, Unprocessable
from apps.patients.services import patient_discharge
from apps.referrals.clearance import CLEARANCE_MISSING
from apps.referrals.services import clearance_exception_grant, clearance_record, inbound_accept
from apps.scheduling.models import Appointment
from apps.scheduling.services import appointment_book, appointment_reschedule, series_book
from tests.factories import AppointmentFactory, _next_monday_at

from .conftest import clearance_pdf

pytestmark = pytest.mark.django_db
MISSING = "Medical clearance from the referring physician is missing"


def _book(personas, service_type, *, patient=None, hour: int = 10):
    return appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=patient or personas.patient,
        service_type=service_type,
        start=_next_monday_at(hour),
        override_reason="Booked in a test",
    )


def test_with_the_setting_off_a_first_session_books_without_a_clearance(personas, psychotherapy):
    assert _book(personas, psychotherapy).pk


def test_with_the_setting_on_a_first_psychotherapy_session_is_refused_with_a_clear_409(
    personas, psychotherapy, clearance_required
):
    with pytest.raises(Conflict) as refused:
        _book(personas, psychotherapy)
    assert refused.value.status == 409 and MISSING in refused.value.message
    assert refused.value.message == CLEARANCE_MISSING
    assert not Appointment.objects.exists()


def test_a_first_weekly_series_is_refused_too(personas, psychotherapy, clearance_required):
    first = timezone.localtime(_next_monday_at(10), clock.clinic_tz())
    with pytest.raises(Conflict, match=MISSING):
        series_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=personas.patient,
            service_type=psychotherapy,
            first_date=first.date(),
            local_start_time=dt.time(10, 0),
            occurrence_count=4,
            override_reason="Booked in a test",
        )
    assert not Appointment.objects.exists()


def test_the_intake_assessment_is_not_psychotherapy_and_books_before_the_clearance(
    personas, intake_assessment, clearance_required
):
    assert _book(personas, intake_assessment).pk


def test_a_clearance_on_an_accepted_referral_lets_the_first_session_book(
    personas, psychotherapy, clearance_required, receive
):
    referral = receive(clearance=clearance_pdf())
    with pytest.raises(Conflict):  # still in the queue: not on the chart yet
        _book(personas, psychotherapy)
    inbound_accept(actor=personas.front_desk, referral=referral)
    assert _book(personas, psychotherapy).pk


def test_a_clearance_recorded_on_the_chart_lets_the_first_session_book(personas, psychotherapy, clearance_required):
    clearance_record(actor=personas.therapist, upload=clearance_pdf(), patient=personas.patient)
    assert _book(personas, psychotherapy).pk


def test_another_patients_clearance_does_not_count(personas, psychotherapy, clearance_required):
    clearance_record(actor=personas.front_desk, upload=clearance_pdf(), patient=personas.other_patient)
    with pytest.raises(Conflict):
        _book(personas, psychotherapy)


def test_a_documented_exception_lets_therapy_start_and_is_audited(personas, psychotherapy, clearance_required):
    exception = clearance_exception_grant(
        actor=personas.therapist, patient=personas.patient, reason="Clearance delayed; pain is long-standing."
    )
    assert _book(personas, psychotherapy).pk
    row = AccessLog.objects.get(action="clearance_exception_grant")
    assert row.patient_id == personas.patient.pk and row.subject_id == str(exception.pk)
    assert "delayed" not in str(row.detail)


@pytest.mark.parametrize("who", ["front_desk", "billing", "other_therapist"])
def test_only_the_treating_therapist_or_an_admin_may_record_an_exception(personas, who):
    with pytest.raises(PermissionDenied):
        clearance_exception_grant(actor=getattr(personas, who), patient=personas.patient, reason="Because")


def test_an_exception_needs_a_reason(personas):
    with pytest.raises(Unprocessable):
        clearance_exception_grant(actor=personas.admin, patient=personas.patient, reason=" ")


def test_no_exception_is_recorded_for_a_discharged_patient(personas):
    patient = patient_discharge(actor=personas.front_desk, patient=personas.patient)

    with pytest.raises(Unprocessable, match="discharged"):
        clearance_exception_grant(actor=personas.therapist, patient=patient, reason="Start now")
    assert not patient.clearance_exceptions.exists()


def test_later_sessions_of_therapy_already_under_way_are_never_stopped(personas, psychotherapy, clearance_required):
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=7), dt.time(10, 0))
    AppointmentFactory(
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=psychotherapy,
        start=start,
        end=start + dt.timedelta(minutes=45),
        status="completed",
    )
    assert _book(personas, psychotherapy).pk


def test_a_cancelled_first_session_did_not_start_therapy(personas, psychotherapy, clearance_required):
    AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, service_type=psychotherapy, status="cancelled"
    )
    with pytest.raises(Conflict):
        _book(personas, psychotherapy, hour=14)


def test_moving_a_booked_session_is_not_a_first_session(personas, psychotherapy, clearance_required):
    booked = AppointmentFactory(therapist=personas.therapist, patient=personas.patient, service_type=psychotherapy)
    [moved] = appointment_reschedule(
        appointment=booked,
        actor=personas.front_desk,
        start=booked.start + dt.timedelta(hours=3),
        override_reason="Moved in a test",
    )
    assert moved.start == booked.start + dt.timedelta(hours=3)


def test_the_booking_form_says_why(personas, login, psychotherapy, clearance_required):
    local = timezone.localtime(_next_monday_at(10), clock.clinic_tz())
    response = login(personas.front_desk).post(
        "/schedule/appointments/new/",
        {
            "therapist": personas.therapist.pk,
            "patient": personas.patient.pk,
            "service_type": psychotherapy.pk,
            "date": local.date().isoformat(),
            "time": "10:00",
            "override_reason": "Booked in a test",
        },
    )
    assert response.status_code == 409
    assert MISSING in response.content.decode()
    assert not Appointment.objects.exists()
