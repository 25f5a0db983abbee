"""A patient who turned on two-step sign-in is asked for their code before any page with their data."""

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

SESSION_KEY = "portal_two_step_required"


def note_two_step_at_sign_in(sender, request, user, **kwargs) -> None:
    """Decide once, when a patient signs in, whether this session must pass the code check.

    Connected to `user_logged_in` in PortalConfig.ready(), so ordinary page views cost no extra query.
    """
    session = getattr(request, "session", None)
    if session is None or user.is_clinic_staff or not user.is_patient:
        return
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        session[SESSION_KEY] = True


class PatientTwoStepMiddleware:
    """Two-step sign-in is optional for patients, but once on it is enforced like the staff's.

    Staff are handled by StaffMFAMiddleware; this covers patients whose sign-in found a confirmed authenticator.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.session.get(SESSION_KEY)
            and request.user.is_authenticated
            and not request.user.is_verified()
            and not request.path.startswith(("/accounts/", "/static/"))
        ):
            if request.path.startswith("/api/"):
                body = {"error": {"code": "two_step_required", "message": "Enter your sign-in code first."}}
                return JsonResponse(body, status=403)
            return redirect(f"{reverse('accounts:mfa_verify')}?next={request.get_full_path()}")
        return self.get_response(request)
