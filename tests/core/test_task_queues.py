"""Reminders, billing batches and record PDFs have queues of their own, and a worker started without -Q consumes
every queue, so no task waits on a queue nobody reads."""

import json

import pytest
from django.conf import settings

from apps.records.tasks import record_export_build
from clinic.celery import app
from tests.integration.conftest import redis_emptied

REDIS_TEST_URL = "redis://127.0.0.1:6379/7"  # its own database: the worker tests use 8 to 15


@pytest.fixture
def redis_db7():
    yield from redis_emptied(REDIS_TEST_URL)


def _queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_reminder_delivery_and_billing_batches_go_to_their_own_queues():
    assert _queue_of("apps.notifications.tasks.dispatch_due") == "reminders"
    assert _queue_of("apps.notifications.tasks.send_messages") == "reminders"
    assert _queue_of("apps.accounts.tasks.password_reset_emails_send") == "reminders"
    assert _queue_of("apps.accounts.tasks.account_email_send") == "reminders"
    assert _queue_of("apps.accounts.tasks.invitation_email_send") == "reminders"
    for task in ("statements_issue_last_month", "reattestation_requests_queue", "plan_instalment_reminders_queue"):
        assert _queue_of(f"apps.billing.tasks.{task}") == "billing"
    assert _queue_of("apps.programs.tasks.close_finished_programs") == "celery"


def test_a_record_pdf_is_sent_to_the_records_queue_and_its_expiry_stays_on_the_default(redis_db7):
    with app.connection_for_write(REDIS_TEST_URL) as broker:
        record_export_build.apply_async(args=[1], connection=broker)

    [sent] = [json.loads(body) for body in redis_db7.lrange("records", 0, -1)]
    assert sent["headers"]["task"] == "apps.records.tasks.record_export_build"
    assert not redis_db7.exists("celery")
    assert _queue_of("apps.records.tasks.record_exports_expire") == "celery"


def test_every_clinic_task_lands_on_a_queue_a_default_worker_consumes():
    app.loader.import_default_modules()
    consumed = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert consumed == {"celery", "reminders", "billing", "records"}
    tasks = {name for name in app.tasks if name.startswith("apps.")}
    tasks |= {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert len(tasks) > 15
    stranded = {task: _queue_of(task) for task in tasks if _queue_of(task) not in consumed}
    assert not stranded
    scheduled = {entry.get("options", {}).get("queue") for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled - {None} <= consumed
