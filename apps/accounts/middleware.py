"""Everyone who can reach staff or admin pages must pass a TOTP challenge before anything else."""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import mfa
from .api_permissions import MFA_MESSAGE

# The only views a signed-in person may reach before the second factor: signing in and out, and MFA itself.
# Anything else (pages, the API, the Django admin, account management) waits, whatever the URL prefix.
BEFORE_MFA_VIEWS = frozenset({"accounts:login", "accounts:logout", "accounts:mfa_setup", "accounts:mfa_verify"})


class StaffMFAMiddleware:
    """Send signed-in staff, admin-site users and superusers without a verified device to enrolment or the challenge.

    It decides per resolved view, not per path prefix, so a new route is covered the day it is added. API routes
    answer 403 in the API's error body instead of redirecting. Token-authenticated API calls carry no session,
    so they reach DRF, where StaffVerifiedMFA applies.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        # A verified session is asked first: it settles the matter without the user's roles (a cache round trip),
        # which only a session not yet past the challenge needs.
        if not user.is_authenticated or user.is_verified() or not user.requires_mfa:
            return None
        if request.resolver_match.view_name in BEFORE_MFA_VIEWS:
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse({"error": {"code": "permission_denied", "message": MFA_MESSAGE}}, status=403)
        if mfa.has_confirmed_device(user):
            return redirect(mfa.verify_url(request.get_full_path()))
        return redirect(f"{reverse('accounts:mfa_setup')}?{urlencode({'next': request.get_full_path()}, safe='/')}")
