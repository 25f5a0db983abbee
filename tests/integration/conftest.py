"""What the worker tests share: a Redis database of their own, empty before and after each test, and a local SMTP
server to send to."""

import pytest
import redis

from tests.notifications.conftest import CountingHandler, LocalSMTP


def redis_emptied(url: str):
    """A client of the test's own Redis database (`url`), emptied before the test and after it; a fixture yields
    from it."""
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def smtp():
    handler = CountingHandler()
    controller = LocalSMTP(handler)
    controller.start()
    yield controller
    controller.stop()
