"""Who a portal page is for: every patient-facing view starts here."""

from django.core.exceptions import PermissionDenied

from .models import Patient


def portal_patient(request, perm: str) -> Patient:
    """The signed-in patient, if they hold `perm` for their own record; PermissionDenied (403) for anyone else,
    staff included: the portal shows a patient their own things and nobody else's."""
    user = request.user
    if not user.is_authenticated or not user.is_patient:
        raise PermissionDenied
    # With their therapist, whom the portal home and the weekly-time request name: one query for both.
    patient = Patient.objects.select_related("primary_therapist").filter(user=user).first()
    if patient is None or not user.has_perm(perm, patient):
        raise PermissionDenied
    user.patient = patient  # the rest of the request reads this row through the user too
    return patient
