"""Who a portal page is for: every patient-facing view starts here."""

from django.core.exceptions import PermissionDenied

from .models import Patient


def portal_patient(request, perm: str) -> Patient:
    """The signed-in patient, if they hold `perm` for their own record; PermissionDenied (403) for anyone else,
    staff included: the portal shows a patient their own things and nobody else's."""
    user = request.user
    patient = getattr(user, "patient", None)
    if patient is None or not user.is_patient or not user.has_perm(perm, patient):
        raise PermissionDenied
    return patient
