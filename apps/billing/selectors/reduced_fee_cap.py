"""Who counts toward a therapist's reduced-fee cap, and what taking a patient on would break."""

import datetime as dt
from dataclasses import dataclass

from apps.core import clock
from apps.core.errors import Unprocessable

from .. import pricing
from ..models import AssessmentStatus, SlidingScaleAssessment

CAP_RECENT_DAYS = 60  # a patient seen within this many days still counts toward a therapist's cap


def reduced_fee_patient_ids(*, therapist, on: dt.date, exclude_series_id: int | None = None) -> set[int]:
    """The therapist's current patients whose assessment in force reduces their fee: those with an active series
    with them, or a session with them from CAP_RECENT_DAYS before `on` onwards (cancelled ones aside). Patients
    not seen for longer, with no series running, no longer count toward the cap."""
    from apps.scheduling.selectors import current_patient_ids

    try:
        rates = pricing.rates_on(on=on)
    except Unprocessable:
        return set()  # nothing is priced without a fee configuration
    patient_ids = current_patient_ids(
        therapist=therapist, since=on - dt.timedelta(days=CAP_RECENT_DAYS), exclude_series_id=exclude_series_id
    )
    in_force = SlidingScaleAssessment.objects.filter(
        patient_id__in=patient_ids, status=AssessmentStatus.APPROVED, effective_from__lte=on, expires_on__gt=on
    ).order_by("patient_id", "-effective_from", "-id")
    latest = {}
    for assessment in in_force:
        latest.setdefault(assessment.patient_id, assessment)
    return {pk for pk, assessment in latest.items() if pricing.reduces_fee(rates=rates, assessment=assessment)}


@dataclass(frozen=True)
class CapBreach:
    cap: int
    carried: int
    message: str


def reduced_fee_cap_breach(
    *, therapist, patient, on: dt.date | None = None, exclude_series_id: int | None = None
) -> CapBreach | None:
    """What taking this patient on would break: a reduced-fee patient the therapist does not carry yet, while
    they already carry their cap. None when the therapist has no cap, the patient pays the full fee or is
    already one of theirs."""
    profile = getattr(therapist, "therapist_profile", None)
    cap = getattr(profile, "reduced_fee_cap", None)
    if cap is None or patient is None:
        return None
    on = on or clock.local_now().date()
    carried = reduced_fee_patient_ids(therapist=therapist, on=on, exclude_series_id=exclude_series_id)
    if patient.pk in carried or len(carried) < cap:
        return None
    try:
        reduced = pricing.reduces_fee(
            rates=pricing.rates_on(on=on), assessment=pricing.assessment_in_force(patient=patient, on=on)
        )
    except Unprocessable:
        return None
    if not reduced:
        return None
    name = therapist.full_name or therapist.email
    return CapBreach(
        cap=cap,
        carried=len(carried),
        message=(
            f"{name} already carries {len(carried)} reduced-fee patients, their cap of {cap}; "
            "a new reduced-fee patient needs a cap override reason."
        ),
    )


def reduced_fee_cap_refusal(*, therapist, cap: int) -> str:
    """A cap below the reduced-fee patients the therapist carries today would be broken the moment it is set: say
    how many they carry (accounts asks before changing a cap, under the lock a capped therapist's booking counts
    under, so a patient booked with them at this very moment is counted here). A booking with a therapist who has
    no cap yet takes no lock: a first cap set at that very moment may end one below their count; the cap then
    refuses their next new reduced-fee patient, as it does any cap reached by an override."""
    carried = len(reduced_fee_patient_ids(therapist=therapist, on=clock.local_now().date()))
    if cap >= carried:
        return ""
    name = therapist.full_name or therapist.email
    return (
        f"{name} carries {carried} reduced-fee patient{'s' if carried != 1 else ''} now, more than a cap of {cap}: "
        f"set a cap of at least {carried}, or leave it empty for no cap."
    )
