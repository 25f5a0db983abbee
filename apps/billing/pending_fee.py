"""What a patient's sliding-scale application would make their fee, while billing has not reviewed it yet.

Priced by `pricing.quote`, the same rule a charge posts with, so the figure shown is the one approval would give.
"""

from apps.audit.services import access_log_write
from apps.core.errors import Unprocessable

from . import pricing
from .models import AssessmentStatus, SlidingScaleAssessment


def pending_application_fees(*, user, assessment: SlidingScaleAssessment | None) -> dict | None:
    """The fee per service a patient's latest application (`assessment`) would give if approved today, or None
    when it is not pending (or the clinic has no fee configuration in force). The income is read to price it, so
    the read is logged; the figure shown is the fee, never the income."""
    if assessment is None or assessment.status != AssessmentStatus.PENDING:
        return None
    access_log_write(actor=user, action="income_view", subject=assessment, patient_id=assessment.patient_id)
    try:
        quote = pricing.quote(household_size=assessment.household_size, annual_income=assessment.annual_income)
    except Unprocessable:
        return None
    return {
        "submitted_on": assessment.created_at,
        "class_label": quote["class_label"],
        "services": quote["services"],
        "late_cancel_fee": quote["late_cancel_fee"],
    }
