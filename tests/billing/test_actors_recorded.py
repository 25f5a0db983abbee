"""Billing services record who acted: the fee configuration in its row history's context, a cancelled plan in the
audit log, a statement on itself."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from apps.audit.models import AccessLog
from apps.billing.models import FeeSchedule, PovertyGuideline, SlidingScaleClass, SlidingScaleSchedule
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.configuration import (
    HRSA_DEFAULT_CLASSES,
    fee_schedule_set,
    guideline_set,
    scale_schedule_save,
)
from apps.billing.services.plans import payment_plan_cancel, payment_plan_create
from apps.billing.services.statements import statement_issue, statements_issue_for_month
from tests.factories import PatientFactory

from .helpers import past_appointment

pytestmark = pytest.mark.django_db


def _context_users(model) -> set:
    return {
        (event.pgh_context.metadata if event.pgh_context else {}).get("user")
        for event in model.pgh_event_model.objects.all()
    }


# Through a page, pghistory's middleware already puts the signed-in user in the context (the configuration history
# page shows them); these call the services outside any request, as a command or the shell does, so the context's
# user can only come from the actor the service was given.
def test_a_fee_change_names_its_actor_in_the_row_history(personas, services_catalogue):
    fee_schedule_set(
        actor=personas.billing,
        service_type=services_catalogue["90834"],
        full_fee=Decimal("210.00"),
        effective_from=dt.date(2027, 1, 1),
    )
    assert _context_users(FeeSchedule) == {personas.billing.pk}


def test_a_guideline_change_names_its_actor_in_the_row_history(personas):
    guideline_set(actor=personas.admin, year=2027, first_person=Decimal(16000), each_additional_person=Decimal(5600))
    assert _context_users(PovertyGuideline) == {personas.admin.pk}


def test_a_class_table_names_its_actor_in_the_row_history_of_the_table_and_each_class(personas):
    scale_schedule_save(
        actor=personas.billing,
        effective_from=dt.date(2027, 1, 1),
        nominal_fee=Decimal(20),
        late_cancel_fee=Decimal(100),
        classes=HRSA_DEFAULT_CLASSES,
    )
    assert _context_users(SlidingScaleSchedule) == {personas.billing.pk}
    assert _context_users(SlidingScaleClass) == {personas.billing.pk}


def test_the_system_leaves_the_row_history_without_a_user(services_catalogue):
    fee_schedule_set(
        actor=None, service_type=services_catalogue["90834"], full_fee=Decimal(200), effective_from=dt.date(2027, 1, 1)
    )
    assert _context_users(FeeSchedule) == {None}


@time_machine.travel("2026-03-10 12:00:00-04:00", tick=False)
def test_cancelling_a_plan_writes_an_audit_row_naming_who(personas, fee_config):
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=2), actor=None
    )
    plan = payment_plan_create(
        actor=personas.front_desk, patient=personas.patient, instalments=2, first_due=dt.date(2026, 4, 1)
    )
    payment_plan_cancel(actor=personas.billing, plan=plan)
    entry = AccessLog.objects.get(action="payment_plan_cancel")
    assert (entry.actor, entry.subject_id, entry.patient_id) == (personas.billing, str(plan.pk), personas.patient.pk)


@time_machine.travel("2026-03-02 09:00:00-05:00", tick=False)
def test_a_statement_names_who_issued_it_and_the_monthly_run_nobody(personas, fee_config):
    by_hand, by_run = (PatientFactory(primary_therapist=personas.therapist) for _ in range(2))
    with time_machine.travel("2026-02-20 12:00:00-05:00", tick=False):  # posted in February
        for days_ago, patient in enumerate((by_hand, by_run), start=2):
            charge_for_appointment_outcome(
                appointment=past_appointment(patient, service_type=fee_config["90834"], days_ago=days_ago), actor=None
            )
    assert statement_issue(actor=personas.billing, patient=by_hand, year=2026, month=2).issued_by == personas.billing
    assert statements_issue_for_month(actor=None, year=2026, month=2) >= 1
    assert by_run.statements.get().issued_by is None


@time_machine.travel("2026-03-02 09:00:00-05:00", tick=False)
def test_a_monthly_run_started_by_someone_names_them(personas, fee_config):
    with time_machine.travel("2026-02-20 12:00:00-05:00", tick=False):  # posted in February
        charge_for_appointment_outcome(
            appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=2), actor=None
        )
    statements_issue_for_month(actor=personas.billing, year=2026, month=2)
    assert personas.patient.statements.get().issued_by == personas.billing
