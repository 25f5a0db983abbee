"""A patient's diagnosis codes as billing holds them, confirmed and proposed."""

from dataclasses import dataclass

from ..models import DIAGNOSIS_POINTER_LETTERS, BillingProfile


@dataclass(frozen=True)
class BillingDiagnosis:
    code: str
    status: str  # "confirmed" or "proposed"
    pointer: str  # the superbill's letter for a confirmed code, else ""
    left_off_on_confirm: bool = False  # a proposed code that confirming leaves off: there are twelve before it

    @property
    def status_label(self) -> str:
        return DIAGNOSIS_STATUS_LABELS[self.status]


DIAGNOSIS_STATUS_LABELS = {"confirmed": "Confirmed", "proposed": "Proposed from the intake note"}


def billing_diagnoses(*, patient) -> list[BillingDiagnosis]:
    """The patient's diagnosis codes as billing holds them: the confirmed ones first (primary first), lettered as a
    superbill points at them, then those proposed from a signed intake note and waiting for billing to confirm,
    each saying whether confirming would leave it off (`BillingProfile.codes_confirming`).
    The ledger page, the superbill and the API read them here."""
    profile = BillingProfile.objects.filter(patient=patient).first()
    if profile is None:
        return []
    confirmed = [
        BillingDiagnosis(code, "confirmed", letter)
        for code, letter in zip(profile.diagnosis_codes, DIAGNOSIS_POINTER_LETTERS, strict=False)
    ]
    _kept, left_off = profile.codes_confirming()
    proposed = [
        BillingDiagnosis(code, "proposed", "", left_off_on_confirm=code in left_off)
        for code in profile.proposed_diagnosis_codes
    ]
    return confirmed + proposed
