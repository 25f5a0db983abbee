from rest_framework.permissions import BasePermission, IsAuthenticated

from apps.accounts.api_permissions import StaffVerifiedMFA


def rule_permission(perm: str) -> type[BasePermission]:
    """A DRF permission class that asks django-rules for a global permission."""

    class HasRule(BasePermission):
        def has_permission(self, request, view) -> bool:
            return request.user.has_perm(perm)

    HasRule.__name__ = f"HasRule_{perm.replace('.', '_')}"
    return HasRule


def permissions_with(perm: str) -> list[type[BasePermission]]:
    """The default API permissions plus one rule."""
    return [IsAuthenticated, StaffVerifiedMFA, rule_permission(perm)]
