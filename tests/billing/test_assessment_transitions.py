"""Every status change of a sliding-scale assessment is written as a transition row: who, from, to and why,
never the income."""

from decimal import Decimal

import pytest

from apps.billing.models import AssessmentTransition
from apps.billing.services import assessments as services

pytestmark = pytest.mark.django_db


def _history(assessment) -> list[tuple]:
    return list(
        AssessmentTransition.objects.filter(assessment=assessment)
        .order_by("pk")
        .values_list("from_status", "to_status", "actor_id", "reason")
    )


def _submit(personas):
    return services.assessment_submit(
        actor=personas.patient_user, patient=personas.patient, household_size=2, annual_income=Decimal("23456")
    )


def test_an_approval_with_a_fixed_fee_records_the_reviewer_and_the_reason(personas, fee_config):
    assessment = _submit(personas)
    services.assessment_approve(
        actor=personas.billing, assessment=assessment, override_fee=Decimal("30"), override_reason="Hardship"
    )
    assert _history(assessment) == [
        ("", "pending", personas.patient_user.pk, ""),
        ("pending", "approved", personas.billing.pk, "Hardship"),
    ]
    assert "23456" not in str(list(AssessmentTransition.objects.values()))


def test_a_rejection_records_the_reviewer_and_the_reason_given(personas, fee_config):
    assessment = _submit(personas)
    services.assessment_reject(actor=personas.billing, assessment=assessment, reason="No proof of income")
    assert _history(assessment)[-1] == ("pending", "rejected", personas.billing.pk, "No proof of income")
