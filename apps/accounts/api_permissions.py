from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import BasePermission


class StaffVerifiedMFA(BasePermission):
    """Staff signed in by session must have passed MFA; API tokens are issued to verified staff only."""

    message = "Staff must complete two-factor authentication first."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_clinic_staff:
            return True
        if isinstance(request.successful_authenticator, TokenAuthentication):
            return True
        return user.is_verified()
