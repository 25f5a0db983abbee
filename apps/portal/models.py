from django.conf import settings
from django.db import models

from apps.core.models import TimeStampedModel


class PortalAccount(TimeStampedModel):
    """Portal-only state of a patient's account: whether they have answered the two-step sign-in offer."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_account")
    two_step_offer_answered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Portal account of {self.user}"
