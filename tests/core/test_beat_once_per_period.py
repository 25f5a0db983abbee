"""The beat scheduler's claim, in process: two schedulers sharing one claim store send each job once per period.
(tests/integration/test_two_beats.py runs two real beat processes.)"""

import datetime as dt

import pytest
import time_machine
from celery.beat import ScheduleEntry
from celery.schedules import crontab

from apps.core.beat import OncePerPeriodScheduler, period_key
from clinic.celery import app

START = dt.datetime(2026, 3, 4, 11, 0, 0, tzinfo=dt.UTC)


class Claims:
    """Redis's SET NX, in memory."""

    def __init__(self):
        self.keys = {}

    def set(self, key, value, *, nx, ex):
        if nx and key in self.keys:
            return None
        self.keys[key] = ex
        return True


@pytest.fixture
def beats(tmp_path):
    claims, sent = Claims(), []
    schedulers = []
    for name in ("a", "b"):
        scheduler = OncePerPeriodScheduler(app, schedule_filename=str(tmp_path / name))
        scheduler._redis = claims
        scheduler.apply_async = lambda entry, producer=None, advance=False, who=name: sent.append((who, entry.name))
        schedulers.append(scheduler)
    yield schedulers, sent
    for scheduler in schedulers:
        scheduler.close()


def _entry(schedule) -> ScheduleEntry:
    return ScheduleEntry(name="job", task="apps.core.tasks.sessions_clear_expired", schedule=schedule, app=app)


def test_two_beats_due_in_the_same_minute_send_an_interval_job_once(beats):
    schedulers, sent = beats
    entry = _entry(dt.timedelta(seconds=60))
    with time_machine.travel(START + dt.timedelta(seconds=0.2), tick=False):
        schedulers[0].apply_entry(entry)
    with time_machine.travel(START + dt.timedelta(seconds=0.9), tick=False):
        schedulers[1].apply_entry(entry)
    with time_machine.travel(START + dt.timedelta(seconds=60.1), tick=False):
        schedulers[1].apply_entry(entry)
        schedulers[0].apply_entry(entry)
    assert sent == [("a", "job"), ("b", "job")]
    assert period_key("job", int(START.timestamp()) // 60) in schedulers[0]._redis.keys


def test_a_crontab_job_is_claimed_for_its_minute(beats):
    schedulers, sent = beats
    entry = _entry(crontab(hour=6, minute=0))
    with time_machine.travel(START.replace(hour=6, second=1), tick=False):
        for scheduler in schedulers:
            scheduler.apply_entry(entry)
    assert sent == [("a", "job")]


def test_an_interval_job_falls_due_on_the_next_boundary_not_one_interval_after_it_ran(beats):
    scheduler = beats[0][0]
    with time_machine.travel(START + dt.timedelta(seconds=17.5), tick=False):
        entry = _entry(dt.timedelta(seconds=60))
        entry.last_run_at = START - dt.timedelta(seconds=60)
        due, next_check = scheduler.is_due(entry)
        scheduler.schedule["job"] = entry
        reserved = scheduler.reserve(entry)
    assert due and next_check == pytest.approx(42.5)
    assert reserved.last_run_at.timestamp() == START.timestamp()
