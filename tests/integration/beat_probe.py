"""The periodic job the two-beat test schedules: each run appends the moment it ran to a Redis list."""

import os
import time

import redis
from celery import shared_task

RUNS_KEY = "beat-probe:runs"


@shared_task(name="tests.integration.beat_probe.probe", ignore_result=True)
def probe() -> None:
    redis.Redis.from_url(os.environ["REDIS_URL"]).rpush(RUNS_KEY, repr(time.time()))
