"""Reads of accounts beyond a plain get."""

from django.db.models import QuerySet

from apps.core import clock

from .models import ApiToken, User
from .roles import Role


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first; revoked and expired ones stay listed as history."""
    return ApiToken.objects.filter(user=user).select_related("revoked_by").order_by("-created_at")


def api_tokens_live_of_others(*, user: User) -> QuerySet[ApiToken]:
    """Other people's unrevoked, unexpired tokens: what an admin may still need to cut off."""
    return (
        ApiToken.objects.exclude(user=user)
        .filter(revoked_at__isnull=True, expires_at__gt=clock.now())
        .select_related("user")
        .order_by("user__email", "-created_at")
    )


def active_therapists() -> QuerySet[User]:
    """Therapists who can be booked, named on forms and API inputs that choose one."""
    return User.objects.filter(groups__name=Role.THERAPIST, is_active=True)
