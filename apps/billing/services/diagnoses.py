"""A patient's diagnosis codes as billing holds them: set by billing, proposed from a signed intake note, confirmed."""

import re

from django.db import transaction

from apps.core import clock
from apps.core.errors import InvalidTransition, Unprocessable

from ..models import MAX_DIAGNOSES, BillingProfile


@transaction.atomic
def billing_profile_set(*, actor, patient, diagnosis_codes: list[str]) -> BillingProfile:
    codes = [code.strip().upper() for code in diagnosis_codes if code.strip()]
    bad = [code for code in codes if not _looks_like_icd10(code)]
    if bad:
        raise Unprocessable(
            f"Not ICD-10 codes: {', '.join(bad)}", fields={"diagnosis_codes": ["Use codes like F45.41 or M54.50."]}
        )
    codes = list(dict.fromkeys(codes))
    if len(codes) > MAX_DIAGNOSES:
        raise Unprocessable(
            f"A superbill letters twelve diagnoses (A to L); these are {len(codes)}.",
            fields={"diagnosis_codes": ["Keep the twelve that matter most, primary first."]},
        )
    profile, _ = BillingProfile.objects.update_or_create(
        patient=patient, defaults={"diagnosis_codes": codes, "updated_by": actor}
    )
    return profile


ICD10 = r"[A-TV-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?"


def _looks_like_icd10(code: str) -> bool:
    return re.fullmatch(ICD10, code) is not None


@transaction.atomic
def diagnoses_propose_from_intake(*, patient, diagnosis_text: str) -> list[str]:
    """Propose the ICD-10 codes written in a signed intake note's diagnosis field for billing to confirm.

    Only the codes are kept, never the note's words; codes already confirmed or already proposed are not added
    twice. Returns the codes newly proposed."""
    found = re.findall(rf"(?<![A-Z0-9.]){ICD10}(?![A-Z0-9])", diagnosis_text or "")
    profile, _ = BillingProfile.objects.select_for_update().get_or_create(patient=patient)
    known = set(profile.diagnosis_codes) | set(profile.proposed_diagnosis_codes)
    new = [code for code in dict.fromkeys(found) if code not in known]
    if new:
        profile.proposed_diagnosis_codes = [*profile.proposed_diagnosis_codes, *new]
        profile.proposed_at = clock.now()
        profile.save(update_fields=["proposed_diagnosis_codes", "proposed_at", "updated_at"])
    return new


@transaction.atomic
def diagnoses_confirm(*, actor, patient) -> list[str]:
    """Billing confirms the proposed codes: they join the patient's diagnoses (after those already confirmed) up to
    the twelve a superbill letters. The rest are left off rather than refused: the note's first codes are the
    ones it leads with, billing can put any of the others in place of one on the list, and a refusal would leave
    them proposed with no way to confirm the ones that fit. Returns the codes left off, for the caller to say."""
    profile = BillingProfile.objects.select_for_update().filter(patient=patient).first()
    if profile is None or not profile.proposed_diagnosis_codes:
        raise InvalidTransition("There are no proposed diagnoses to confirm.")
    profile.diagnosis_codes, left_off = profile.codes_confirming()
    profile.proposed_diagnosis_codes = []
    profile.proposed_at = None
    profile.updated_by = actor
    profile.save()
    return left_off
