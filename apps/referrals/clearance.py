"""The clearance gate: with the clinic's setting on, a patient's first psychotherapy session is booked only with a
medical clearance on file (or a documented exception). Registered as one of scheduling's booking checks."""

from apps.core.models import ClinicSettings
from apps.scheduling.selectors import patient_has_sessions

from .selectors import patient_has_clearance, patient_has_clearance_exception

# Psychotherapy by CPT code: individual (with or without E/M), crisis, family and group. The intake assessment
# (90791) is not psychotherapy; it may come before the clearance arrives.
PSYCHOTHERAPY_CODES = frozenset(
    {"90832", "90833", "90834", "90836", "90837", "90838", "90839", "90846", "90847", "90849", "90853"}
)
CLEARANCE_MISSING = (
    "Medical clearance from the referring physician is missing. Record it on the patient's referral or chart "
    "(or an exception) before booking the first psychotherapy session."
)


def clearance_booking_check(
    *, patient, therapist, service_type, starts, series: bool, clinic: ClinicSettings | None = None
) -> str | None:
    """The refusal for a first psychotherapy session without a clearance, else None. Therapy already under way
    (a booked, arrived or completed psychotherapy session, a moved one among them) is never stopped here."""
    if service_type.code not in PSYCHOTHERAPY_CODES or not (clinic or ClinicSettings.load()).require_medical_clearance:
        return None
    if patient_has_clearance(patient=patient) or patient_has_clearance_exception(patient=patient):
        return None
    if patient_has_sessions(patient=patient, service_codes=PSYCHOTHERAPY_CODES):
        return None
    return CLEARANCE_MISSING
