"""The raw SMTP floor sends the reminders' own finished bytes to the same kind of server the worker sends to."""

import io

import pytest
from django.core.management import call_command

from apps.notifications.models import Message
from bench import fixtures, floors, seed_large
from bench.reminders import SinkProcess, finished_messages

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_as_owner")]


def test_the_floor_sends_the_reminders_as_the_app_renders_them():
    call_command(seed_large.Command(), scale=0.01, weeks=12, stdout=io.StringIO())
    ids = fixtures.reminders_queue(6, "floor")
    messages = finished_messages(ids)
    assert len(messages) == 6
    first = Message.objects.get(pk=ids[0])
    sender, recipient, data = next(m for m in messages if m[1] == first.to_address)
    assert recipient == first.to_address
    assert b"Content-Type: multipart/alternative" in data and b"text/html" in data
    assert f"Message-ID: <message-{first.pk}@".encode() in data

    sink = SinkProcess()
    try:
        result = floors.smtp_sends(sink.port, 20, clients=3, messages=messages)
        assert sink.count == 20
    finally:
        sink.stop()
    assert result["messages"] == 20 and result["clients"] == 3
    assert result["bytes"] == sum(len(m[2]) for m in messages) // len(messages)
