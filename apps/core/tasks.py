"""Thin Celery tasks for the pieces every app shares."""

from celery import shared_task

from . import transitions


@shared_task(name="apps.core.tasks.transitions_dispatch_pending", ignore_result=True)
def transitions_dispatch_pending() -> int:
    """Beat, every minute: run the reactions any transition still lacks (see apps.core.transitions)."""
    return transitions.transitions_dispatch_pending()
