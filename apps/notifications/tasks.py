"""Thin Celery tasks: ids in, services do the work. Message content never travels through the broker."""

from celery import shared_task
from django.conf import settings

from .delivery import messages_claim_due, messages_send, send_task_budget


@shared_task(name="apps.notifications.tasks.dispatch_due", ignore_result=True)
def dispatch_due() -> int:
    """Beat, every minute: claim due messages in batches and hand them to send tasks, a few ids per task.

    Small groups let one task reuse its mail server connection while the worker pool still spreads a
    large batch over all its processes.
    """
    handed_out = 0
    per_task = settings.CLINIC_SEND_TASK_SIZE
    for _ in range(settings.CLINIC_DISPATCH_MAX_BATCHES):
        ids = messages_claim_due(limit=settings.CLINIC_DISPATCH_BATCH_SIZE)
        for start in range(0, len(ids), per_task):
            send_messages.apply_async(args=[ids[start : start + per_task]], queue=settings.CLINIC_NOTIFICATIONS_QUEUE)
        handed_out += len(ids)
        if len(ids) < settings.CLINIC_DISPATCH_BATCH_SIZE:
            break
    return handed_out


@shared_task(name="apps.notifications.tasks.send_messages", ignore_result=True)
def send_messages(message_ids: list[int]) -> dict[str, int]:
    """Send claimed outbox rows within the task's soft time limit: rows it has no time left for are released to the
    next dispatch. Re-running it is harmless: each row's status and lock decide."""
    limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
    return messages_send(message_ids=message_ids, time_budget=send_task_budget(limit) if limit else None)
