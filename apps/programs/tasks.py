"""Thin Celery tasks for programs; the work is in services."""

from celery import shared_task

from . import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def expire_seat_offers() -> int:
    """Beat, every minute: expire unanswered seat and slot offers and offer each to the next in line."""
    return services.seat_offers_expire() + services.slot_offers_expire()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def close_finished_programs() -> int:
    """Beat, hourly: close programs whose last meeting has ended (members complete, the waiting are told)."""
    return services.finished_programs_close()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def remind_meeting_members() -> int:
    """Beat, every ten minutes: queue reminders for members of meetings entering the reminder lead times."""
    return services.meeting_reminders_queue()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def assign_outcome_questionnaires() -> int:
    """Beat, hourly: ask members for the program's questionnaires before its first and last meeting."""
    return services.meeting_questionnaires_assign()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def offer_ended_series_slots() -> int:
    """Beat, hourly: offer the weekly time of each series that ran its course to the slot waitlist, once."""
    return services.ended_series_slots_free()
