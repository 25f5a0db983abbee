"""Thin Celery tasks for programs; the work is in services. Seat offers expire through the offer engine's task."""

from celery import shared_task

from .services import formation, meetings, setup, stranded


@shared_task(
    name="apps.programs.tasks.close_finished_programs", autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def close_finished_programs() -> int:
    """Beat, hourly: close programs whose last meeting has ended (members complete, the waiting are told)."""
    return setup.finished_programs_close()


@shared_task(
    name="apps.programs.tasks.remind_meeting_members", autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def remind_meeting_members() -> int:
    """Beat, every ten minutes: queue reminders for members of meetings entering the reminder lead times."""
    return meetings.meeting_reminders_queue()


@shared_task(
    name="apps.programs.tasks.assign_outcome_questionnaires",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def assign_outcome_questionnaires() -> int:
    """Beat, hourly: ask members for the program's questionnaires before its first and last meeting."""
    return meetings.meeting_questionnaires_assign()


@shared_task(
    name="apps.programs.tasks.call_off_programs_past_decision",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def call_off_programs_past_decision() -> int:
    """Beat, daily: proposed programs whose decision date passed without a launch are called off, and everyone on
    their lists is given an alternative."""
    return formation.programs_past_decision_call_off()


@shared_task(
    name="apps.programs.tasks.queue_stranded_enrollments", autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def queue_stranded_enrollments() -> int:
    """Beat, daily: anyone waiting on a list with no next step for the clinic's setting goes on the work queue."""
    return stranded.stranded_enrollments_queue()
