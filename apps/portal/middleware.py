"""A patient who turned on two-step sign-in is asked for their code before any page with their data."""

from django.http import JsonResponse
from django.shortcuts import redirect
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import mfa
from apps.accounts.middleware import BEFORE_MFA_VIEWS

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
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Decided per resolved view, as for staff: only signing in and out and the code check itself come first.
        if (
            not request.session.get(SESSION_KEY)
            or not request.user.is_authenticated
            or request.user.is_verified()
            or request.resolver_match.view_name in BEFORE_MFA_VIEWS
        ):
            return None
        if request.path.startswith("/api/"):
            body = {"error": {"code": "two_step_required", "message": "Enter your sign-in code first."}}
            return JsonResponse(body, status=403)
        return redirect(mfa.verify_url(request.get_full_path()))
