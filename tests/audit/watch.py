"""What one request wrote to the access log: the tests of refused and allowed opens compare these rows."""

from django.db.models import Max

from apps.audit.models import AccessLog


def log_mark() -> int:
    """The newest row so far; rows written after it are the request's (the log is append-only)."""
    return AccessLog.objects.aggregate(last=Max("pk"))["last"] or 0


def rows_since(mark: int) -> list[dict]:
    return list(
        AccessLog.objects.filter(pk__gt=mark)
        .order_by("pk")
        .values("actor_id", "action", "subject_type", "subject_id", "patient_id", "allowed", "detail")
    )


def row_for(actor, action: str, subject, *, patient_id, allowed: bool) -> dict:
    """The row a read (or a refused attempt) of `subject` by `actor` writes; never any content in `detail`."""
    return {
        "actor_id": actor.pk,
        "action": action,
        "subject_type": subject._meta.label_lower,
        "subject_id": str(subject.pk),
        "patient_id": patient_id,
        "allowed": allowed,
        "detail": {},
    }
