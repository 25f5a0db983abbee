import pgtrigger
from django.conf import settings
from django.db import models

from .words import action_words, record_words


class AccessLog(models.Model):
    """One row per read of protected health information, and per denied attempt. Append-only."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=50)
    allowed = models.BooleanField(default=True)
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField("Subject ID", max_length=64)
    patient_id = models.BigIntegerField("Patient ID", null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]
        triggers = [pgtrigger.Protect(name="access_log_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.subject_type}#{self.subject_id}"

    @property
    def action_words(self) -> str:
        return action_words(self.action)

    @property
    def record_words(self) -> str:
        return record_words(self.subject_type, self.subject_id)
