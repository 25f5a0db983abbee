import datetime as dt

from django.db.models import QuerySet

from apps.core import clock

from .models import AccessLog


def access_log_list(
    *,
    patient_id: int | None = None,
    actor=None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    denied_only: bool = False,
) -> QuerySet[AccessLog]:
    """Access-log rows, newest first; the dates are clinic-local days, both ends included."""
    qs = AccessLog.objects.select_related("actor")
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if actor is not None:
        qs = qs.filter(actor=actor)
    if since is not None:
        qs = qs.filter(at__gte=clock.local_datetime(since, dt.time.min))
    if until is not None:
        qs = qs.filter(at__lt=clock.local_datetime(until + dt.timedelta(days=1), dt.time.min))
    if denied_only:
        qs = qs.filter(allowed=False)
    return qs.order_by("-at", "-id")
