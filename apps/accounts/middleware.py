"""Staff must pass a TOTP challenge before they reach anything with patient data."""

from django.shortcuts import redirect
from django.urls import reverse

MFA_FREE_PREFIXES = ("/accounts/", "/static/", "/api/")


class StaffMFAMiddleware:
    """Send signed-in staff without a verified second factor to enrolment or the challenge.

    The API is left to its own permission class, which answers 403 instead of redirecting.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.is_clinic_staff
            and not user.is_verified()
            and not request.path.startswith(MFA_FREE_PREFIXES)
        ):
            from django_otp import devices_for_user

            target = "accounts:mfa_verify" if any(devices_for_user(user)) else "accounts:mfa_setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)
