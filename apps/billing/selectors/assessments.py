"""Reads of sliding-scale assessments, and the access log of every household income shown."""

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet

from apps.audit.services import access_logs_write

from ..models import AssessmentStatus, SlidingScaleAssessment


def assessment_incomes_shown(*, user, assessments) -> None:
    """A household's income is read through here, on a page or through the API alike: every assessment whose
    income `user` is shown gets one `income_view` row in the access log."""
    access_logs_write(actor=user, action="income_view", subjects=[(a, a.patient_id) for a in assessments])


def assessments_for_review() -> QuerySet[SlidingScaleAssessment]:
    return SlidingScaleAssessment.objects.filter(status=AssessmentStatus.PENDING).select_related("patient")


def latest_assessment(*, patient) -> SlidingScaleAssessment | None:
    return SlidingScaleAssessment.objects.filter(patient=patient).order_by("-created_at", "-id").first()


def assessments_expiring(*, within_days: int, on: dt.date) -> QuerySet[SlidingScaleAssessment]:
    """Approved assessments ending within the window that are not yet superseded and not yet reminded."""
    newer = SlidingScaleAssessment.objects.filter(
        patient=OuterRef("patient"),
        status__in=[AssessmentStatus.PENDING, AssessmentStatus.APPROVED],
        created_at__gt=OuterRef("created_at"),
    )
    return (
        SlidingScaleAssessment.objects.filter(
            status=AssessmentStatus.APPROVED,
            expires_on__gt=on,
            expires_on__lte=on + dt.timedelta(days=within_days),
            reattestation_requested_at__isnull=True,
        )
        .exclude(Exists(newer))
        .select_related("patient")
    )
