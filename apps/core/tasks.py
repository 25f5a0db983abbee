"""Thin Celery tasks for the pieces every app shares."""

from celery import shared_task
from django.contrib.sessions.models import Session

from . import clock, transitions


@shared_task(name="apps.core.tasks.transitions_dispatch_pending", ignore_result=True)
def transitions_dispatch_pending() -> int:
    """Beat, every minute: run the reactions any transition still lacks (see apps.core.transitions)."""
    return transitions.transitions_dispatch_pending()


@shared_task(name="apps.core.tasks.sessions_clear_expired", ignore_result=True)
def sessions_clear_expired() -> int:
    """Beat, hourly: delete sessions past their expiry. Every sign-in adds a row that nothing else removes."""
    deleted, _ = Session.objects.filter(expire_date__lt=clock.now()).delete()
    return deleted
