"""A patient's diagnosis codes as billing holds them, confirmed and proposed."""

from dataclasses import dataclass

from ..models import BillingProfile

DIAGNOSIS_POINTER_LETTERS = "ABCDEFGHIJKL"


@dataclass(frozen=True)
class BillingDiagnosis:
    code: str
    status: str  # "confirmed" or "proposed"
    pointer: str  # the superbill's letter for a confirmed code (the first twelve), else ""

    @property
    def status_label(self) -> str:
        return DIAGNOSIS_STATUS_LABELS[self.status]


DIAGNOSIS_STATUS_LABELS = {"confirmed": "Confirmed", "proposed": "Proposed from the intake note"}


def billing_diagnoses(*, patient) -> list[BillingDiagnosis]:
    """The patient's diagnosis codes as billing holds them: the confirmed ones first (primary first), lettered as a
    superbill points at them, then those proposed from a signed intake note and waiting for billing to confirm.
    The ledger page, the superbill and the API read them here."""
    profile = BillingProfile.objects.filter(patient=patient).first()
    if profile is None:
        return []
    letters = DIAGNOSIS_POINTER_LETTERS
    confirmed = [
        BillingDiagnosis(code, "confirmed", letters[index] if index < len(letters) else "")
        for index, code in enumerate(profile.diagnosis_codes)
    ]
    return confirmed + [BillingDiagnosis(code, "proposed", "") for code in profile.proposed_diagnosis_codes]
