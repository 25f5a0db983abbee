"""Thin Celery tasks that call the scheduling services."""

import logging

from celery import shared_task

from apps.core.errors import ApplicationError

from . import selectors, services
from .models import AppointmentSeries

logger = logging.getLogger(__name__)


@shared_task(name="apps.scheduling.tasks.series_extend_open_ended")
def series_extend_open_ended() -> int:
    """Beat: book every open-ended series ahead to the rolling horizon, each in its own transaction.

    Re-running is harmless: a series only books dates after its booked_through. Returns sessions booked.
    """
    booked = 0
    for series_id in selectors.open_ended_series_ids():
        series = AppointmentSeries.objects.get(pk=series_id)
        try:
            result = services.series_extend(series=series)
        except ApplicationError as exc:  # e.g. past the therapist's reduced-fee cap: staff decide, the rest go on
            logger.warning("Series %s not extended: %s", series_id, exc.code)
            continue
        booked += len(result.booked)
        if result.skipped:
            logger.info("Series %s: %s dates already taken were skipped", series_id, len(result.skipped))
    return booked
