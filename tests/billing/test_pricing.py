"""One pricing rule: the class is fixed at approval; the fee is the schedule in force on the session date at that
class. The quote, the portal card, the class label, the reduced-fee cap and the charge all agree."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.billing import pricing
from apps.billing.selectors.reduced_fee_cap import reduced_fee_patient_ids
from apps.billing.services.assessments import assessment_approve, assessment_submit
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.configuration import (
    HRSA_DEFAULT_CLASSES,
    fee_schedule_set,
    guideline_set,
    scale_schedule_save,
)
from apps.core import clock
from tests.factories import AppointmentFactory

from .helpers import past_appointment

pytestmark = pytest.mark.django_db


def _approve_on(patient, day: str, *, household_size: int, income: str, reviewer):
    with time_machine.travel(f"{day} 12:00:00-05:00", tick=False):
        assessment = assessment_submit(
            actor=patient.user, patient=patient, household_size=household_size, annual_income=Decimal(income)
        )
        return assessment_approve(actor=reviewer, assessment=assessment)


def test_a_class_fixed_in_november_2025_prices_a_february_2026_session(personas, fee_config):
    # $19,600 for one person: 125.24% of the 2025 guideline ($15,650) → class C; 122.81% of 2026's ($15,960) → B.
    assessment = _approve_on(
        personas.patient, "2025-11-14", household_size=1, income="19600", reviewer=personas.billing
    )
    assert (assessment.class_code, assessment.guideline_year) == ("C", 2025)
    with time_machine.travel("2026-02-11 12:00:00-05:00", tick=False):
        card = pricing.patient_fee_card(patient=personas.patient)
        label = pricing.patient_class_label(patient=personas.patient)
        appointment = past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=1)
        charge = charge_for_appointment_outcome(appointment=appointment, actor=None)
    individual = next(row for row in card["services"] if row["service"].code == "90834")
    assert (charge.class_code, charge.amount) == ("C", Decimal("80.00"))  # 40% of $200, not class B's $40
    assert individual["fee"] == charge.amount
    assert card["class_label"] == label == charge.class_label == "126–150%"
    assert card["late_cancel_fee"] == Decimal("40.00")


def test_the_fee_follows_the_schedule_in_force_on_the_session_date(personas, fee_config):
    _approve_on(personas.patient, "2025-11-14", household_size=1, income="19600", reviewer=personas.billing)
    fee_schedule_set(
        actor=personas.billing,
        service_type=fee_config["90834"],
        full_fee=Decimal("250"),
        effective_from=dt.date(2026, 2, 1),
    )
    with time_machine.travel("2026-02-11 12:00:00-05:00", tick=False):
        january = past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=20)
        february = past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=1)
        before = charge_for_appointment_outcome(appointment=january, actor=None)
        after = charge_for_appointment_outcome(appointment=february, actor=None)
    assert (before.amount, after.amount) == (Decimal("80.00"), Decimal("100.00"))


def test_a_new_class_table_prices_the_fixed_class_at_its_new_percentage(personas, fee_config):
    _approve_on(personas.patient, "2025-11-14", household_size=1, income="19600", reviewer=personas.billing)
    classes = [dict(row) for row in HRSA_DEFAULT_CLASSES]
    classes[2]["percent_of_full"] = 45
    scale_schedule_save(
        actor=personas.billing,
        effective_from=dt.date(2026, 1, 1),
        nominal_fee=Decimal("20"),
        late_cancel_fee=Decimal("100"),
        classes=classes,
    )
    with time_machine.travel("2026-02-11 12:00:00-05:00", tick=False):
        charge = charge_for_appointment_outcome(
            appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
        )
    assert (charge.class_code, charge.amount) == ("C", Decimal("90.00"))


def test_a_table_without_the_fixed_class_code_places_the_percent_recorded_at_approval(personas, fee_config):
    _approve_on(personas.patient, "2025-11-14", household_size=1, income="19600", reviewer=personas.billing)
    classes = [{**row, "code": f"N{row['code']}"} for row in HRSA_DEFAULT_CLASSES]
    scale_schedule_save(
        actor=personas.billing,
        effective_from=dt.date(2026, 1, 1),
        nominal_fee=Decimal("20"),
        late_cancel_fee=Decimal("100"),
        classes=classes,
    )
    with time_machine.travel("2026-02-11 12:00:00-05:00", tick=False):
        charge = charge_for_appointment_outcome(
            appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
        )
    # 125.24% recorded at approval → the new table's 126–150% row, not the 122.81% the 2026 guideline gives.
    assert (charge.class_code, charge.amount) == ("NC", Decimal("80.00"))


def test_the_class_is_computed_on_the_approval_day_not_the_effective_date(personas, fee_config):
    with time_machine.travel("2025-12-20 12:00:00-05:00", tick=False):
        assessment = assessment_submit(
            actor=personas.patient.user, patient=personas.patient, household_size=1, annual_income=Decimal("19600")
        )
        approved = assessment_approve(actor=personas.billing, assessment=assessment, effective_from=dt.date(2026, 1, 5))
    assert (approved.class_code, approved.guideline_year) == ("C", 2025)


def test_the_quote_shows_what_a_charge_for_a_session_that_day_would_post(personas, fee_config, client):
    with time_machine.travel("2026-02-11 12:00:00-05:00", tick=False):
        quote = client.get("/api/sliding-scale/quote", {"household_size": 1, "annual_income": "19600"}).json()
        assessment = assessment_submit(
            actor=personas.patient.user, patient=personas.patient, household_size=1, annual_income=Decimal("19600")
        )
        assessment_approve(actor=personas.billing, assessment=assessment)
        appointment = past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=0)
        charge = charge_for_appointment_outcome(appointment=appointment, actor=None)
    quoted = {row["code"]: Decimal(row["fee"]) for row in quote["services"]}
    assert (quote["class_code"], quoted["90834"]) == (charge.class_code, charge.amount) == ("B", Decimal("40.00"))


def test_a_reduced_fee_is_judged_by_the_class_fixed_at_approval(personas, fee_config):
    # 201% of the 2025 guideline: the full-fee class, though the same income is 197% of 2026's (class E).
    _approve_on(personas.patient, "2025-11-14", household_size=1, income="31500", reviewer=personas.billing)
    with time_machine.travel("2026-02-11 12:00:00-05:00", tick=False):
        today = clock.local_now().date()
        assert personas.patient.pk not in reduced_fee_patient_ids(therapist=personas.therapist, on=today)
        assert pricing.patient_class_label(patient=personas.patient) == "Above 200% (full fee)"


# --- the property: whatever the income, household, dates and configuration changes, every path agrees ---------------

incomes = st.decimals(min_value=0, max_value=90000, places=2, allow_nan=False, allow_infinity=False)
days = st.dates(min_value=dt.date(2025, 1, 2), max_value=dt.date(2026, 12, 31))


@st.composite
def configuration_changes(draw):
    """A new individual-session fee, a revised class table and a 2027 guideline, each at a random date (or not)."""
    return {
        "fee": draw(st.none() | st.tuples(days, st.integers(min_value=80, max_value=320))),
        # Class C's share moves within what keeps the table valid (between class B's 20% and class D's 60%).
        "table": draw(st.none() | st.tuples(days, st.integers(min_value=20, max_value=60))),
        "guideline_2027": draw(st.booleans()),
    }


def _configure(changes, *, actor, catalogue):
    if changes["fee"]:
        start, fee = changes["fee"]
        fee_schedule_set(actor=actor, service_type=catalogue["90834"], full_fee=Decimal(fee), effective_from=start)
    if changes["table"]:
        start, share = changes["table"]
        classes = [dict(row) for row in HRSA_DEFAULT_CLASSES]
        classes[2]["percent_of_full"] = share
        scale_schedule_save(
            actor=actor, effective_from=start, nominal_fee=Decimal(20), late_cancel_fee=Decimal(90), classes=classes
        )
    if changes["guideline_2027"]:
        guideline_set(actor=actor, year=2027, first_person=Decimal("16300"), each_additional_person=Decimal("5800"))


def _charge_on(patient, therapist, service_type, day: dt.date, *, hour: int, status: str = "completed"):
    start = clock.local_datetime(day, dt.time(hour, 0))
    appointment = AppointmentFactory(
        patient=patient,
        therapist=therapist,
        service_type=service_type,
        start=start,
        end=start + dt.timedelta(minutes=45),
        status=status,
    )
    return charge_for_appointment_outcome(appointment=appointment, actor=None)


@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    income=incomes,
    household_size=st.integers(min_value=1, max_value=6),
    approved_on=days,
    later=st.integers(min_value=1, max_value=360),
    changes=configuration_changes(),
)
def test_quote_portal_card_and_posted_charge_always_agree(
    personas, fee_config, income, household_size, approved_on, later, changes
):
    patient, therapist, individual = personas.patient, personas.therapist, fee_config["90834"]
    with transaction.atomic():
        _configure(changes, actor=personas.billing, catalogue=fee_config)
        with time_machine.travel(clock.local_datetime(approved_on, dt.time(8, 0)), tick=False):
            quote = pricing.quote(household_size=household_size, annual_income=income)
            assessment = assessment_submit(
                actor=patient.user, patient=patient, household_size=household_size, annual_income=income
            )
            assessment_approve(actor=personas.billing, assessment=assessment)
            card = pricing.patient_fee_card(patient=patient)
            session = _charge_on(patient, therapist, individual, approved_on, hour=9)
            late = _charge_on(patient, therapist, individual, approved_on, hour=11, status="late_cancelled")
        quoted = {row["code"]: row["fee"] for row in quote["services"]}
        carded = {row["service"].code: row["fee"] for row in card["services"]}
        assert quoted == carded
        assert quoted["90834"] == session.amount
        assert quote["late_cancel_fee"] == card["late_cancel_fee"] == late.amount
        assert quote["class_label"] == card["class_label"] == session.class_label

        # Months later, after whatever changed meanwhile: the class is the one fixed at approval, and the card
        # shows what the charge posts.
        seen_on = approved_on + dt.timedelta(days=later)
        with time_machine.travel(clock.local_datetime(seen_on, dt.time(8, 0)), tick=False):
            card = pricing.patient_fee_card(patient=patient)
            label = pricing.patient_class_label(patient=patient)
            session = _charge_on(patient, therapist, individual, seen_on, hour=9)
        assert session.class_code == quote["class_code"]
        assert {row["service"].code: row["fee"] for row in card["services"]}["90834"] == session.amount
        assert card["class_label"] == label == session.class_label
        transaction.set_rollback(True)
