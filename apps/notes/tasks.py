"""Beat task: each morning, tell therapists how many of their notes are overdue."""

from celery import shared_task

from apps.core import clock

from .services import unsigned_notes_digest_queue


@shared_task(name="apps.notes.tasks.unsigned_notes_digest")
def unsigned_notes_digest() -> int:
    return unsigned_notes_digest_queue(on=clock.local_now().date())
