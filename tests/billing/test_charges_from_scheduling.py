"""Charges created by the scheduling services when a session is completed, late-cancelled or missed."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from apps.billing.models import Charge
from apps.core import clock
from apps.scheduling import services as scheduling
from tests.factories import AppointmentFactory

from .helpers import approved_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment(personas, fee_config):
    # Household of 4 at $49,500 is 150% of the 2026 guideline: class C, 40% of the full fee.
    with time_machine.travel("2026-03-02 09:00:00-05:00", tick=False):
        approved_assessment(personas.patient, household_size=4, income="49500")
    start = clock.local_datetime(dt.date(2026, 3, 10), dt.time(10, 0))
    return AppointmentFactory(
        patient=personas.patient, therapist=personas.therapist, service_type=fee_config["90834"], start=start
    )


def test_completing_a_session_charges_it(appointment, personas):
    with time_machine.travel("2026-03-10 11:00:00-04:00", tick=False):
        scheduling.appointment_complete(appointment=appointment, actor=personas.therapist)
    charge = Charge.objects.get(appointment=appointment)
    assert (charge.kind, charge.amount, charge.class_code) == ("session", Decimal("80.00"), "C")


def test_a_late_cancellation_is_charged_the_policy_fee_at_the_class(appointment, personas):
    with time_machine.travel("2026-03-10 08:00:00-04:00", tick=False):
        scheduling.appointment_cancel(appointment=appointment, actor=personas.patient_user, reason="Sick")
    charge = Charge.objects.get(appointment=appointment)
    assert (charge.kind, charge.amount) == ("late_cancel", Decimal("40.00"))


def test_an_early_cancellation_is_not_charged(appointment, personas):
    with time_machine.travel("2026-03-05 08:00:00-05:00", tick=False):
        scheduling.appointment_cancel(appointment=appointment, actor=personas.patient_user, reason="Trip")
    assert not Charge.objects.exists()


def test_a_no_show_is_charged_the_policy_fee_at_the_class(appointment, personas):
    with time_machine.travel("2026-03-10 10:30:00-04:00", tick=False):
        scheduling.appointment_no_show(appointment=appointment, actor=personas.front_desk)
    assert Charge.objects.get(appointment=appointment).amount == Decimal("40.00")
