"""Charges for appointment outcomes and group attendance, at the patient's class, frozen on the charge."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from apps.billing.models import Charge
from apps.billing.selectors.ledger import patient_balance
from apps.billing.services.charges import charge_for_appointment_outcome, charge_for_group_attendance
from apps.billing.services.configuration import fee_schedule_set
from apps.billing.services.payments import adjustment_post, payment_record
from apps.scheduling.models import Appointment
from tests.factories import PatientFactory
from tests.locking import at_once

from .helpers import approved_assessment, past_appointment

pytestmark = pytest.mark.django_db

# A Monday in 2026: guideline $15,960 + $5,680; a household of 3 earning $34,150 is at 125.00% → class B.
TODAY = "2026-03-09 12:00:00-04:00"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def class_b_patient(personas, fee_config):
    approved_assessment(personas.patient, household_size=3, income="34150")
    return personas.patient


@pytest.mark.parametrize(
    ("status", "kind", "amount", "full_fee"),
    [
        ("completed", "session", "40.00", "200.00"),  # 20% of $200
        ("late_cancelled", "late_cancel", "20.00", "100.00"),  # 20% of the $100 policy fee
        ("no_show", "no_show", "20.00", "100.00"),
    ],
)
def test_an_outcome_is_charged_at_the_patients_class(
    class_b_patient, fee_config, personas, status, kind, amount, full_fee
):
    appointment = past_appointment(class_b_patient, service_type=fee_config["90834"], status=status)
    charge = charge_for_appointment_outcome(appointment=appointment, actor=personas.therapist)
    assert (charge.kind, charge.amount, charge.full_fee) == (kind, Decimal(amount), Decimal(full_fee))
    assert (charge.class_code, charge.therapist_id) == ("B", personas.therapist.pk)
    assert charge.service_date == dt.date(2026, 3, 8)


@pytest.mark.parametrize("status", ["booked", "checked_in", "cancelled"])
def test_other_statuses_are_not_charged(class_b_patient, fee_config, personas, status):
    appointment = past_appointment(class_b_patient, service_type=fee_config["90834"], status=status)
    assert charge_for_appointment_outcome(appointment=appointment, actor=personas.therapist) is None
    assert Charge.objects.count() == 0


def test_a_patient_without_an_assessment_pays_the_full_fee(personas, fee_config):
    appointment = past_appointment(personas.patient, service_type=fee_config["90791"])
    charge = charge_for_appointment_outcome(appointment=appointment, actor=None)
    assert (charge.amount, charge.class_code) == (Decimal("250.00"), "FULL")


def test_charging_the_same_outcome_twice_posts_one_charge(class_b_patient, fee_config, personas):
    appointment = past_appointment(class_b_patient, service_type=fee_config["90834"])
    first = charge_for_appointment_outcome(appointment=appointment, actor=None)
    second = charge_for_appointment_outcome(appointment=appointment, actor=None)
    assert first.pk == second.pk
    assert Charge.objects.count() == 1


def test_the_fee_and_class_are_frozen_when_the_assessment_later_changes(class_b_patient, fee_config, personas):
    appointment = past_appointment(class_b_patient, service_type=fee_config["90834"])
    charge = charge_for_appointment_outcome(appointment=appointment, actor=None)
    fee_schedule_set(
        actor=personas.billing,
        service_type=fee_config["90834"],
        full_fee=Decimal("220"),
        effective_from=dt.date(2026, 1, 1),
    )
    charge.refresh_from_db()
    assert (charge.amount, charge.full_fee, charge.class_code) == (Decimal("40.00"), Decimal("200.00"), "B")


def test_the_assessment_in_force_on_the_session_date_sets_the_fee(personas, fee_config):
    approved_assessment(personas.patient, household_size=1, income="15000", effective_from=dt.date(2026, 3, 8))
    before = past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=3)
    after = past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=1)
    assert charge_for_appointment_outcome(appointment=before, actor=None).amount == Decimal("200.00")
    assert charge_for_appointment_outcome(appointment=after, actor=None).amount == Decimal("20.00")


def test_an_approved_override_fixes_the_session_fee(personas, fee_config):
    approved_assessment(
        personas.patient, household_size=1, income="90000", override_fee=Decimal("35"), override_reason="Hardship"
    )
    appointment = past_appointment(personas.patient, service_type=fee_config["90837"])
    charge = charge_for_appointment_outcome(appointment=appointment, actor=None)
    assert (charge.amount, charge.class_code) == (Decimal("35.00"), "OVR")


def test_a_service_without_a_fee_is_not_charged(personas, services_catalogue):
    appointment = past_appointment(personas.patient, service_type=services_catalogue["90834"])
    assert charge_for_appointment_outcome(appointment=appointment, actor=None) is None


def _group_meeting(therapist, service_type):
    start = dt.datetime(2026, 3, 5, 18, 0, tzinfo=dt.UTC)
    return Appointment.objects.create(
        therapist=therapist, patient=None, service_type=service_type, start=start, end=start + dt.timedelta(minutes=90)
    )


def test_group_attendance_is_charged_once_per_patient_at_their_class(class_b_patient, fee_config, personas):
    meeting = _group_meeting(personas.therapist, fee_config["90853"])
    other = PatientFactory()
    charge = charge_for_group_attendance(patient=class_b_patient, meeting=meeting, actor=personas.therapist)
    again = charge_for_group_attendance(patient=class_b_patient, meeting=meeting, actor=personas.therapist)
    full = charge_for_group_attendance(patient=other, meeting=meeting, actor=personas.therapist)
    # Class B: 20% of $60 is $12, below the $20 nominal floor.
    assert (charge.pk, charge.amount, charge.kind) == (again.pk, Decimal("20.00"), "group")
    assert full.amount == Decimal("60.00")
    assert Charge.objects.count() == 2


def test_group_attendance_needs_a_group_meeting(class_b_patient, fee_config, personas):
    appointment = past_appointment(class_b_patient, service_type=fee_config["90834"])
    with pytest.raises(Exception, match="group meeting"):
        charge_for_group_attendance(patient=class_b_patient, meeting=appointment, actor=None)


def test_balance_is_charges_minus_payments_minus_adjustments(class_b_patient, fee_config, personas):
    for days in (1, 8, 15):
        charge_for_appointment_outcome(
            appointment=past_appointment(class_b_patient, service_type=fee_config["90834"], days_ago=days), actor=None
        )
    payment_record(actor=personas.front_desk, patient=class_b_patient, method="cash", amount="45.50")
    adjustment_post(actor=personas.billing, patient=class_b_patient, kind="courtesy", amount="10.01", reason="Goodwill")
    assert patient_balance(patient=class_b_patient) == Decimal("120.00") - Decimal("45.50") - Decimal("10.01")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_completions_of_one_session_post_one_charge(personas, fee_config):
    appointment = past_appointment(personas.patient, service_type=fee_config["90834"])

    def charge():
        return charge_for_appointment_outcome(appointment=appointment, actor=None).pk

    results = at_once(charge, charge)
    assert len(set(results)) == 1, results  # one charge, and neither completion failed
    assert Charge.objects.count() == 1
