"""The periodic job the two-beat test schedules: each run appends the period its beat claimed to a Redis list."""

import os

import redis
from celery import shared_task

from apps.core.beat import PERIOD_HEADER

RUNS_KEY = "beat-probe:runs"


@shared_task(name="tests.integration.beat_probe.probe", bind=True, ignore_result=True)
def probe(self) -> None:
    redis.Redis.from_url(os.environ["REDIS_URL"]).rpush(RUNS_KEY, str(self.request.get(PERIOD_HEADER)))
