"""Two real workers on separate queues: one reads only `reminders`, the other `celery` and `billing`. Tasks sent
by their real names reach the worker of their queue, and the task routes leave none on a queue nobody reads."""

import re

import pytest
from django.db import connection

from clinic.celery import app
from tests.integration.conftest import redis_emptied
from tests.integration.test_notifications_worker import _log, _wait_until
from tests.integration.test_two_beats import CeleryProcess

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_TEST_URL = "redis://127.0.0.1:6379/9"  # its own database: the other worker tests use 11, 12 and 15

SENT = {
    "apps.notifications.tasks.send_messages": ([[]], "reminders"),
    "apps.billing.tasks.reattestation_requests_queue": ([], "batches"),
    "apps.programs.tasks.close_finished_programs": ([], "batches"),
}


@pytest.fixture
def redis_db9():
    yield from redis_emptied(REDIS_TEST_URL)


def test_each_task_runs_on_the_worker_that_reads_its_queue(redis_db9, tmp_path):
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {"DJANGO_SETTINGS_MODULE": "clinic.settings.local", "DATABASE_URL": database_url}
    workers = {
        "reminders": CeleryProcess("reminders", ["worker", "--pool=solo", "-Q", "reminders", "-n", "reminders@%h"],
                                   str(tmp_path), redis_url=REDIS_TEST_URL, env=env),
        "batches": CeleryProcess("batches", ["worker", "--pool=solo", "-Q", "celery,billing", "-n", "batches@%h"],
                                 str(tmp_path), redis_url=REDIS_TEST_URL, env=env),
    }  # fmt: skip
    try:
        for worker in workers.values():
            assert _wait_until(lambda w=worker: " ready." in w.text(), timeout=60, step=0.1), _log(str(tmp_path))
        with app.connection_for_write(REDIS_TEST_URL) as broker:
            for task, (args, _) in SENT.items():
                app.send_task(task, args=args, connection=broker)
        for task, (_, reader) in SENT.items():
            succeeded = re.compile(rf"Task {re.escape(task)}\[[^\]]+\] succeeded")
            assert _wait_until(lambda p=succeeded, r=reader: p.search(workers[r].text()), timeout=30, step=0.1), _log(
                str(tmp_path)
            )
    finally:
        for worker in workers.values():
            worker.stop()
    for task, (_, reader) in SENT.items():
        other = "batches" if reader == "reminders" else "reminders"
        assert f"Task {task}[" not in workers[other].text(), f"{task} ran on the {other} worker"
