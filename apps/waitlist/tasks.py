"""Thin Celery tasks for the slot waitlist and the offer engine; the work is in services."""

from celery import shared_task

from . import services
from .offers import offers_expire


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def expire_offers() -> int:
    """Beat, every minute: expire unanswered seat and slot offers and offer each to the next in line, withdraw held
    weekly times booked for someone else since (their holders back in line), then offer any open weekly time nobody
    holds. Returns how many offers expired."""
    expired = offers_expire()
    services.held_times_taken_withdraw()
    services.open_slots_offer()
    return expired


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def offer_ended_series_slots() -> int:
    """Beat, hourly: offer the weekly time of each series that ran its course to the slot waitlist, once."""
    return services.ended_series_slots_free()
