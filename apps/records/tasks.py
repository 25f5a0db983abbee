"""Thin Celery tasks for record exports; the work is in services. They carry ids only."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from . import services


@shared_task(
    name="apps.records.tasks.record_export_build",
    acks_late=True,
    # A long history's PDF takes minutes to lay out: more than the default limit every other task keeps.
    time_limit=settings.CLINIC_RECORD_EXPORT_TIME_LIMIT_SECONDS,
    soft_time_limit=settings.CLINIC_RECORD_EXPORT_TIME_LIMIT_SECONDS - 30,
)
def record_export_build(export_id: int) -> None:
    """Make the PDF of export `export_id` (queued on commit of the request that asked for it)."""
    try:
        services.record_export_build(export_id=export_id)
    except SoftTimeLimitExceeded:
        services.record_export_fail(export_id=export_id, message=services.STALE_MESSAGE)


@shared_task(name="apps.records.tasks.record_exports_expire")
def record_exports_expire() -> dict:
    """Beat, hourly: delete prepared record files past their keeping time; call failed what no worker finished."""
    return services.record_exports_expire()
