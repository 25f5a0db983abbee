"""Celery beat that sends each periodic job once per period, however many beat processes run.

Two beats run at once when the clinic runs on several machines, or for a moment while a new container replaces an
old one; each would send every job. Before sending, a beat claims the job's current period in Redis (SET NX with an
expiry); the beat that loses the claim skips the send. Interval jobs fire on the period's boundaries counted from
the Unix epoch (a 60-second job at every whole minute, a daily one at 00:00 UTC), not on each beat's start time,
so every beat names the same period and the periods never drift apart.
"""

import datetime as dt
import logging
import math

import redis
from celery.beat import PersistentScheduler
from celery.schedules import schedule as interval

logger = logging.getLogger(__name__)

KEY_PREFIX = "clinic:beat"
# The claimed period's number travels with the message, so a run can tell which period it belongs to however long
# it waited in the queue (task.request.get(PERIOD_HEADER)).
PERIOD_HEADER = "clinic_beat_period"
# Crontab jobs fire at whole minutes, so every beat sees the same minute.
CRONTAB_PERIOD_SECONDS = 60


def _interval_seconds(entry) -> float | None:
    return entry.schedule.seconds if isinstance(entry.schedule, interval) and entry.schedule.seconds > 0 else None


def period_of(entry, at: dt.datetime) -> tuple[int, int]:
    """(the period's number since the epoch, its length in seconds) for the entry at an instant."""
    length = _interval_seconds(entry) or CRONTAB_PERIOD_SECONDS
    return math.floor(at.timestamp() / length), max(1, math.ceil(length))


def period_key(name: str, number: int) -> str:
    return f"{KEY_PREFIX}:{name}:{number}"


class OncePerPeriodScheduler(PersistentScheduler):
    """The default file-backed scheduler plus the per-period claim. Set as CELERY_BEAT_SCHEDULER."""

    _redis = None

    @property
    def claims(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(self.app.conf.broker_url)
        return self._redis

    def is_due(self, entry):
        due, next_check = super().is_due(entry)
        seconds = _interval_seconds(entry)
        if due and seconds:
            # Wake at the next boundary rather than one interval after this send.
            now = entry.default_now().timestamp()
            next_check = (math.floor(now / seconds) + 1) * seconds - now
        return due, next_check

    def reserve(self, entry):
        new_entry = super().reserve(entry)
        seconds = _interval_seconds(entry)
        if seconds:
            # Counted from the period's start, the next send falls due at the next boundary.
            sent = new_entry.last_run_at
            start = math.floor(sent.timestamp() / seconds) * seconds
            new_entry.last_run_at = dt.datetime.fromtimestamp(start, tz=sent.tzinfo or dt.UTC)
        return new_entry

    def apply_entry(self, entry, producer=None):
        number, length = period_of(entry, entry.default_now())
        # The key outlives its period so a late beat still finds it; the period's number keeps periods apart.
        try:
            claimed = self.claims.set(period_key(entry.name, number), "sent", nx=True, ex=2 * length)
        except redis.RedisError:
            # Redis is the broker too: the send could not go out either. The next period tries again.
            logger.exception("Beat: could not claim this period of %s", entry.name)
            return
        if not claimed:
            logger.info("Beat: %s was already sent for this period by another beat", entry.name)
            return
        headers = {**entry.options.get("headers", {}), PERIOD_HEADER: number}
        super().apply_entry(
            entry.__class__(**dict(entry, options={**entry.options, "headers": headers})), producer=producer
        )
