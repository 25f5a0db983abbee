"""Beat task: ask patients to answer questionnaires the day before their sessions."""

import datetime as dt

from celery import shared_task

from apps.core import clock

from . import selectors, services


@shared_task(name="apps.outcomes.tasks.questionnaires_send_for_tomorrow")
def questionnaires_send_for_tomorrow() -> int:
    """Assign due questionnaires for tomorrow's sessions (the clinic's tomorrow, each session on its own office's
    day) and queue one email each."""
    tomorrow = clock.local_now().date() + dt.timedelta(days=1)
    sent = 0
    for appointment in selectors.appointments_needing_questionnaires(day=tomorrow):
        if services.questionnaires_send_for_appointment(appointment=appointment):
            sent += 1
    return sent


@shared_task(name="apps.outcomes.tasks.open_flags_sweep")
def open_flags_sweep() -> int:
    """Beat, every 10 minutes: tell a treating psychotherapist of a flagged PHQ-9 answer waiting for review that
    nobody told them of (the after-commit notice was lost, or they came to treat the patient by an account change)."""
    return services.open_flags_sweep()
