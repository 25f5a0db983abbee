from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission, IsAuthenticated

from .models import ApiToken

MFA_MESSAGE = "Staff must complete two-factor authentication first."


def is_token_request(request) -> bool:
    return isinstance(request.auth, ApiToken)


class StaffVerifiedMFA(BasePermission):
    """Anyone who needs MFA must have passed it in this session, or use a token minted from such a session."""

    message = MFA_MESSAGE

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or is_token_request(request):
            return True
        # A verified session passes without its roles being read (a cache round trip per API call); a user the
        # session middleware did not load (forced in tests) has no device, as a session that never passed.
        if getattr(user, "otp_device", None) is not None:
            return True
        return not user.requires_mfa


class BrowserSessionOnly(BasePermission):
    """Served only to a browser session that passed MFA, never to an API token, whoever minted it.

    A token can leak from a script or a laptop, and carries no second factor at the moment of use. A session
    without a verified device (a patient's, or someone's whose role has gone) is refused too, before any lookup.
    """

    message = (
        "Process notes are only available in the author's own browser session after two-factor authentication, "
        "never through an API token."
    )

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.successful_authenticator, SessionAuthentication):
            return False
        return request.user.is_verified()


def rule_permission(perm: str) -> type[BasePermission]:
    """A DRF permission class that asks django-rules for a global permission."""

    class HasRule(BasePermission):
        def has_permission(self, request, view) -> bool:
            return request.user.has_perm(perm)

    HasRule.__name__ = f"HasRule_{perm.replace('.', '_')}"
    return HasRule


# Who may read the OpenAPI schema and its docs page (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]).
ReadsApiDocs = rule_permission("accounts.read_api_docs")


def permissions_with(perm: str) -> list[type[BasePermission]]:
    """The default API permissions plus one rule."""
    return [IsAuthenticated, StaffVerifiedMFA, rule_permission(perm)]
