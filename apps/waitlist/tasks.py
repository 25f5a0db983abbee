"""Thin Celery tasks for the slot waitlist and the offer engine; the work is in services."""

from celery import shared_task

from apps.core.task_names import former_name

from . import services
from .offers import offers_expire


@shared_task(name="apps.waitlist.tasks.expire_offers", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def expire_offers() -> int:
    """Beat, every minute: expire unanswered seat and slot offers and offer each to the next in line, withdraw held
    weekly times booked for someone else since (their holders back in line), then offer any open weekly time nobody
    holds. Returns how many offers expired."""
    expired = offers_expire()
    services.held_times_taken_withdraw()
    services.open_slots_offer()
    return expired


@shared_task(
    name="apps.waitlist.tasks.offer_ended_series_slots", autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def offer_ended_series_slots() -> int:
    """Beat, hourly: offer the weekly time of each series that ran its course to the slot waitlist, once."""
    return services.ended_series_slots_free()


# These two were programs' tasks before the offer engine moved here.
former_name("apps.programs.tasks.expire_seat_offers", now=expire_offers)
former_name("apps.programs.tasks.offer_ended_series_slots", now=offer_ended_series_slots)
