"""Small builders for billing tests."""

import datetime as dt
from decimal import Decimal

from apps.billing.services.assessments import assessment_approve, assessment_submit
from apps.core import clock
from tests.factories import AppointmentFactory, UserFactory


def approved_assessment(patient, *, household_size: int, income: str, effective_from=None, reviewer=None, **extra):
    from apps.accounts.roles import Role

    reviewer = reviewer or UserFactory(roles=[Role.BILLING])
    assessment = assessment_submit(
        actor=patient.user, patient=patient, household_size=household_size, annual_income=Decimal(income)
    )
    return assessment_approve(
        actor=reviewer,
        assessment=assessment,
        effective_from=effective_from or clock.local_now().date() - dt.timedelta(days=30),
        **extra,
    )


def past_appointment(patient, *, service_type, days_ago: int = 1, status: str = "completed", **extra):
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=days_ago), dt.time(10, 0))
    return AppointmentFactory(
        patient=patient,
        therapist=extra.pop("therapist", None) or patient.primary_therapist,
        service_type=service_type,
        start=start,
        end=start + dt.timedelta(minutes=service_type.duration_minutes),
        status=status,
        **extra,
    )
