"""Good Faith Estimates: who may read which, the ones still running, and what their page shows."""

import datetime as dt
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet

from apps.accounts.roles import Role

from ..models import AssessmentStatus, GoodFaithEstimate, SlidingScaleAssessment


def _estimates() -> QuerySet[GoodFaithEstimate]:
    return GoodFaithEstimate.objects.select_related("patient", "issued_by", "replaces", "replaced_by")


def estimates_of(*, patient) -> QuerySet[GoodFaithEstimate]:
    """One patient's Good Faith Estimates, newest first: the portal's billing page and the patient's record download
    list them here (the caller has checked the patient's own)."""
    return _estimates().filter(patient=patient)


def estimates_visible_to(*, user) -> QuerySet[GoodFaithEstimate]:
    """The Good Faith Estimates `user` may read, newest first: every patient's for the staff who see ledgers, their
    own for a patient, none for anyone else. The staff and portal pages and the API all read them here."""
    qs = _estimates()
    if not user.is_authenticated:
        return qs.none()
    if user.has_perm("billing.view_estimates"):
        return qs
    if user.has_role(Role.PATIENT):
        return qs.filter(patient__user=user)
    return qs.none()


def estimates_current(*, patient, on: dt.date) -> QuerySet[GoodFaithEstimate]:
    """Estimates still running on `on` that no later estimate has replaced."""
    return GoodFaithEstimate.objects.filter(patient=patient, period_end__gte=on, replaced_by__isnull=True)


def estimate_covering(*, patient, service_type_id: int, day: dt.date) -> GoodFaithEstimate | None:
    """The estimate a session of the service on `day` falls under: the newest one not replaced whose period holds
    the day and that expects the service. A moved session's quote shows it, and the move issues an estimate only
    when there is none."""
    return (
        estimates_current(patient=patient, on=day)
        .filter(period_start__lte=day, lines__contains=[{"service_type_id": service_type_id}])
        .order_by("-issued_at", "-pk")
        .first()
    )


def patients_with_estimates_past_expiry(*, since: dt.date, on: dt.date) -> list[int]:
    """Ids of patients whose approved assessment ended after `since` and by `on` (its `expires_on` is the first day
    without it) and who hold an estimate still running on `on`, in key order."""
    running = estimates_current(patient=OuterRef("patient"), on=on)
    return list(
        SlidingScaleAssessment.objects.filter(
            status=AssessmentStatus.APPROVED, expires_on__gt=since, expires_on__lte=on
        )
        .filter(Exists(running))
        .order_by("patient_id")
        .values_list("patient_id", flat=True)
        .distinct()
    )


def estimate_context(estimate: GoodFaithEstimate) -> dict:
    """What the estimate page and PDF show: the issued row, its lines with Decimal amounts, the dispute threshold."""
    lines = [{**line, "fee": Decimal(line["fee"]), "amount": Decimal(line["amount"])} for line in estimate.lines]
    return {"estimate": estimate, "lines": lines, "dispute_threshold": ESTIMATE_DISPUTE_THRESHOLD}


# A bill this much above the estimate may be disputed (No Surprises Act patient-provider dispute resolution).
ESTIMATE_DISPUTE_THRESHOLD = Decimal("400.00")
