"""The reduced-fee cap: how many reduced-fee patients a therapist may carry, enforced wherever a therapist takes on
a new patient, with a logged override for clinic staff.
"""

from django.db import connection

from apps.accounts.roles import Role
from apps.accounts.services import therapist_reduced_fee_cap_hold
from apps.audit.services import access_log_write
from apps.core.errors import Conflict, PermissionDenied
from apps.patients.services import patient_in_care_hold

from ..selectors.reduced_fee_cap import reduced_fee_cap_breach

CAP_OVERRIDE_ROLES = (Role.ADMIN, Role.FRONT_DESK, Role.BILLING)


def _counted_one_at_a_time(*, therapist, patient) -> None:
    """Two bookings each giving a capped therapist a new reduced-fee patient would both count one under the cap and
    both go through, and a cap lowered while a booking commits would not count it: the count for one therapist is
    taken under accounts' therapist_reduced_fee_cap_hold (held until the booking commits, so the next count sees it;
    the cap is read again under it). The patient's row is held first, as every booking holds it (its database
    check, an online booking's own hold), so the locks are always taken in the same order. A therapist without a
    cap costs nothing (a first cap set while one of their bookings commits may end one below what they carry);
    outside a transaction (a page asking whether a booking would go through) a lock would be let go at once, so
    none is taken."""
    profile = getattr(therapist, "therapist_profile", None)
    if patient is None or getattr(profile, "reduced_fee_cap", None) is None or not connection.in_atomic_block:
        return
    patient_in_care_hold(patient.pk)
    therapist_reduced_fee_cap_hold(therapist=therapist)


def reduced_fee_cap_enforce(
    *, actor, therapist, patient, override_reason: str = "", exclude_series_id: int | None = None
) -> str:
    """Every path that gives a therapist a new patient asks this first: a reduced-fee patient past the
    therapist's cap is refused (Conflict naming the therapist and the cap) unless clinic staff give a reason,
    which is written to the access log with the therapist, the cap and how many they carried. Returns the
    reason when an override was used, else ""."""
    _counted_one_at_a_time(therapist=therapist, patient=patient)
    breach = reduced_fee_cap_breach(therapist=therapist, patient=patient, exclude_series_id=exclude_series_id)
    if breach is None:
        return ""
    if not override_reason.strip():
        raise Conflict(
            breach.message,
            fields={"cap_override_reason": ["Required to take on a reduced-fee patient past the cap."]},
            extra={"therapist": therapist.pk, "reduced_fee_cap": breach.cap, "reduced_fee_patients": breach.carried},
        )
    if actor is None or not actor.has_role(*CAP_OVERRIDE_ROLES):
        raise PermissionDenied("Only the front desk, billing or an administrator may override a reduced-fee cap.")
    access_log_write(
        actor=actor,
        action="reduced_fee_cap_override",
        subject=patient,
        patient_id=patient.pk,
        detail={
            "therapist_id": therapist.pk,
            "cap": breach.cap,
            "carried": breach.carried,
            "reason": override_reason.strip(),
        },
    )
    return override_reason.strip()
