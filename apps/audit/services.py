"""Writing the PHI access log."""

from django.db import models

from .head_requests import refusal_held
from .models import AccessLog
from .request_context import current_origin


def access_log_write(
    *,
    actor,
    action: str,
    subject: models.Model,
    patient_id: int | None = None,
    allowed: bool = True,
    detail: dict | None = None,
) -> AccessLog:
    """Record who touched what, when and from where. Never put note text in `detail`."""
    entry = _entry(actor=actor, action=action, subject=subject, patient_id=patient_id, allowed=allowed, detail=detail)
    if not allowed and refusal_held(entry):
        return entry
    entry.save(force_insert=True)
    return entry


def access_logs_write(*, actor, action: str, subjects: list[tuple[models.Model, int | None]]) -> None:
    """One row per (subject, patient id) read together, as a list page shows them, in one INSERT."""
    AccessLog.objects.bulk_create(
        [_entry(actor=actor, action=action, subject=subject, patient_id=patient_id) for subject, patient_id in subjects]
    )


def _entry(*, actor, action, subject, patient_id, allowed=True, detail=None) -> AccessLog:
    origin = current_origin()
    return AccessLog(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        allowed=allowed,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        patient_id=patient_id,
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
        path=origin.path,
        detail=detail or {},
    )
