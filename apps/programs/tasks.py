"""Thin Celery tasks for programs; the work is in services. Seat offers expire through the offer engine's task."""

from celery import shared_task

from .services import meetings, setup


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def close_finished_programs() -> int:
    """Beat, hourly: close programs whose last meeting has ended (members complete, the waiting are told)."""
    return setup.finished_programs_close()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def remind_meeting_members() -> int:
    """Beat, every ten minutes: queue reminders for members of meetings entering the reminder lead times."""
    return meetings.meeting_reminders_queue()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def assign_outcome_questionnaires() -> int:
    """Beat, hourly: ask members for the program's questionnaires before its first and last meeting."""
    return meetings.meeting_questionnaires_assign()
