"""What a patient's sliding-scale application would make their fee, while billing has not reviewed it yet.

Priced by `pricing.quote`, the same rule a charge posts with, so the figure shown is the one approval would give.
"""

from apps.audit.services import access_log_write
from apps.core.errors import Unprocessable

from . import pricing, selectors
from .models import AssessmentStatus


def pending_application_fees(*, user, patient) -> dict | None:
    """The fee per service the patient's pending application would give if approved today, or None when nothing is
    pending (or the clinic has no fee configuration in force). The income is read to price it, so the read is
    logged; the figure shown is the fee, never the income."""
    assessment = selectors.latest_assessment(patient=patient)
    if assessment is None or assessment.status != AssessmentStatus.PENDING:
        return None
    access_log_write(actor=user, action="income_view", subject=assessment, patient_id=patient.pk)
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
