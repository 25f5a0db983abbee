"""The raw SMTP floor sends the reminders' own finished bytes to the same kind of server the worker sends to."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from apps.core import clock
from apps.notifications.models import Message
from apps.scheduling.models import Appointment
from bench import fixtures, floors, seed_large
from bench.reminders import SinkProcess, finished_messages

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_as_owner")]


def test_the_floor_sends_the_reminders_as_the_app_renders_them():
    call_command(seed_large.Command(), scale=0.01, weeks=12, stdout=io.StringIO())
    fixtures.drafts(2)  # past sessions still booked, as the signing benchmark leaves them
    ids = fixtures.reminders_queue(6, "floor")
    # Only for sessions that begin after the run has sent them: one that has begun would be cancelled, not sent.
    sessions = Message.objects.filter(pk__in=ids).values_list("subject_id", flat=True)
    starts = Appointment.objects.filter(pk__in=[int(pk) for pk in sessions]).values_list("start", flat=True)
    assert min(starts) >= clock.now() + dt.timedelta(hours=1)
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
