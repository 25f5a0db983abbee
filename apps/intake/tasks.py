"""Thin Celery tasks for intake; the work is in services."""

from celery import shared_task

from . import services


@shared_task(
    name="apps.intake.tasks.release_renewals_notify", autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def release_renewals_notify() -> int:
    """Beat, daily: tell patients whose release of information has ended that it needs signing again (once each)."""
    return services.release_renewals_notify()


@shared_task(name="apps.intake.tasks.open_answer_flags_sweep")
def open_answer_flags_sweep() -> int:
    """Beat, every 10 minutes: tell a treating psychotherapist of a risk answer waiting for review that nobody told
    them of (the after-commit notice was lost, or they came to treat the patient by an account change)."""
    return services.open_answer_flags_sweep()
