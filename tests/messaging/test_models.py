"""Messages are part of the record: the database keeps them and their words, whatever the application does."""

import pytest
from django.db import IntegrityError, ProgrammingError, transaction
from django.db.models import ProtectedError

from apps.core import clock
from apps.core.encryption import decrypt_text, encrypt_text
from apps.messaging.models import Attachment, Message, MessageThread
from apps.messaging.services import message_post

from .conftest import upload

pytestmark = pytest.mark.django_db


def _refused(action) -> None:
    with pytest.raises((IntegrityError, ProgrammingError, ProtectedError)), transaction.atomic():
        action()


def test_message_text_is_stored_encrypted(clinic_thread):
    message = clinic_thread.messages.get()
    assert "park" not in message.content_encrypted
    assert decrypt_text(message.content_encrypted) == "Where do I park?"


def test_database_refuses_deleting_a_message(clinic_thread):
    message = clinic_thread.messages.get()
    _refused(lambda: Message.objects.filter(pk=message.pk).delete())
    assert Message.objects.filter(pk=message.pk).exists()


def test_database_refuses_changing_a_messages_text(clinic_thread):
    message = clinic_thread.messages.get()
    _refused(lambda: Message.objects.filter(pk=message.pk).update(content_encrypted=encrypt_text("Edited")))
    assert decrypt_text(Message.objects.get(pk=message.pk).content_encrypted) == "Where do I park?"


def test_database_refuses_moving_a_message_or_changing_its_author(clinic_thread, personas):
    message = clinic_thread.messages.get()
    _refused(lambda: Message.objects.filter(pk=message.pk).update(author=personas.front_desk))
    other = MessageThread.objects.create(
        patient=personas.patient,
        subject_encrypted=encrypt_text("Other"),
        started_by=personas.patient_user,
        last_message_at=clock.now(),
    )
    _refused(lambda: Message.objects.filter(pk=message.pk).update(thread=other))


def test_a_read_receipt_is_written_once(clinic_thread, personas):
    message = clinic_thread.messages.get()
    Message.objects.filter(pk=message.pk).update(read_at=clock.now(), read_by=personas.front_desk)
    _refused(lambda: Message.objects.filter(pk=message.pk).update(read_at=None, read_by=None))
    _refused(lambda: Message.objects.filter(pk=message.pk).update(read_by=personas.admin))


def test_database_refuses_deleting_a_thread_or_changing_its_patient(clinic_thread, personas):
    _refused(lambda: MessageThread.objects.filter(pk=clinic_thread.pk).delete())
    _refused(lambda: MessageThread.objects.filter(pk=clinic_thread.pk).update(patient=personas.other_patient))


def test_a_closed_thread_needs_its_time_and_closer(clinic_thread):
    _refused(lambda: MessageThread.objects.filter(pk=clinic_thread.pk).update(status="closed"))


def test_database_refuses_deleting_or_changing_an_attachment(clinic_thread, personas):
    message_post(actor=personas.front_desk, thread=clinic_thread, text="See the map.", attachments=[upload()])
    attachment = Attachment.objects.get()
    _refused(lambda: Attachment.objects.filter(pk=attachment.pk).delete())
    _refused(lambda: Attachment.objects.filter(pk=attachment.pk).update(size=1))
