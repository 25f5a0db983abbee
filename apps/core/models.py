import pgtrigger
from django.conf import settings
from django.db import models

from . import clock


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Transition(models.Model):
    """One status change of a record, written in the transaction that made it (who, from, to, when, why).

    Each app keeps a concrete table of these for its own record (an appointment's, an enrollment's, an
    assessment's); the rows are the history and, through `TransitionHandled`, the queue the other apps'
    reactions work from (apps.core.transitions)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)  # "" when the record was created
    to_status = models.CharField(max_length=20)
    at = models.DateTimeField(default=clock.now)
    reason = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["pk"]
        # A history: rows are added, never rewritten (the app role cannot switch the trigger off).
        triggers = [pgtrigger.Protect(name="transition_append_only", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return f"{self.from_status or '(new)'} → {self.to_status}"


class TransitionHandled(models.Model):
    """A reaction ran for a transition. Written in the reaction's own transaction, so it commits exactly when the
    reaction's effects do; unique, so the same reaction never runs twice for the same transition."""

    transition_type = models.CharField(
        max_length=100
    )  # the transition model's label, e.g. scheduling.appointmenttransition
    transition_id = models.BigIntegerField()
    reaction = models.CharField(max_length=100)
    handled_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["transition_type", "transition_id", "reaction"], name="transition_handled_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reaction} handled {self.transition_type}#{self.transition_id}"
