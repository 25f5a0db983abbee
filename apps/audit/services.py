"""Writing the PHI access log."""

from django.db import models

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
    origin = current_origin()
    return AccessLog.objects.create(
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
