"""Who may book and move sessions online: a patient, with a therapist who has switched it on, while the clinic has.

A first session also needs a therapist open to new patients; a move, the patient's own session.
"""

import rules

from apps.accounts.roles import Role
from apps.accounts.rules import is_patient_user
from apps.core.errors import PermissionDenied, Unprocessable
from apps.core.models import ClinicSettings
from apps.scheduling.rules import is_own_appointment


def _profile(therapist):
    return getattr(therapist, "therapist_profile", None)


def therapist_offers_self_booking(therapist) -> bool:
    """The clinic's switch and the therapist's own are both on, and they are an active therapist."""
    profile = _profile(therapist)
    return (
        profile is not None
        and profile.self_booking
        and therapist.is_active
        and therapist.has_role(Role.THERAPIST)
        and ClinicSettings.load().self_booking_enabled
    )


@rules.predicate
def offers_first_sessions(user, therapist) -> bool:
    return (
        therapist is not None and therapist_offers_self_booking(therapist) and _profile(therapist).accepts_new_patients
    )


@rules.predicate
def session_therapist_offers_self_booking(user, appointment) -> bool:
    return appointment is not None and therapist_offers_self_booking(appointment.therapist)


rules.add_perm("selfbooking.use", is_patient_user)
# Object: the therapist the first session is with.
rules.add_perm("selfbooking.book_first_session", is_patient_user & offers_first_sessions)
# Object: the session to move.
rules.add_perm("selfbooking.move_session", is_patient_user & is_own_appointment & session_therapist_offers_self_booking)


# The checks the pages, the API and the services share, each refusing with the reason in the patient's words.


def patient_required(user):
    """The patient record of a patient user; anyone else is refused."""
    patient = getattr(user, "patient", None)
    if patient is None or not user.has_perm("selfbooking.use"):
        raise PermissionDenied("Only patients book sessions online.")
    return patient


def first_session_allowed(user, therapist) -> None:
    if not user.has_perm("selfbooking.book_first_session", therapist):
        raise PermissionDenied(f"{therapist.full_name} is not taking first sessions online.")


def move_allowed(user, appointment) -> None:
    if user.has_perm("selfbooking.move_session", appointment):
        return
    if not is_own_appointment(user, appointment):
        raise PermissionDenied("You can move only your own sessions.")
    raise PermissionDenied(f"{appointment.therapist.full_name}'s sessions cannot be moved online.")


DISCHARGED = "Your care with the clinic has ended. To book again, please call the front desk."


def patient_in_care(patient) -> None:
    """A discharged patient books through the front desk, which reactivates them first (booking refuses them)."""
    if not patient.is_in_care:
        raise Unprocessable(DISCHARGED)
