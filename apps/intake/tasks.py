"""Thin Celery tasks for intake; the work is in services."""

from celery import shared_task

from . import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def release_renewals_notify() -> int:
    """Beat, daily: tell patients whose release of information has ended that it needs signing again (once each)."""
    return services.release_renewals_notify()
