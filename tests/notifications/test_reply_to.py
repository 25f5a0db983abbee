"""Replies to the clinic's emails: a Reply-To header when there is somewhere for them to go, and no invitation to
reply when there is not (emails come from a no-reply sender)."""

from email import message_from_bytes

import pytest
from django.core import mail

from apps.core import clock
from apps.notifications.checks import reply_to_check
from apps.notifications.delivery import message_send
from apps.notifications.models import Message
from apps.scheduling.services import appointment_cancel

pytestmark = pytest.mark.django_db


def _cancellation_notice(appointment, personas) -> Message:
    appointment_cancel(appointment=appointment, actor=personas.front_desk, reason="Therapist ill")
    notice = Message.objects.get(purpose="appointment_cancelled")
    Message.objects.filter(pk=notice.pk).update(send_at=clock.now())
    return notice


def test_the_reply_to_setting_is_the_emails_reply_to(settings, clinic, appointment, personas):
    settings.CLINIC_REPLY_TO_EMAIL = "desk@harbor.example"
    clinic.email = "hello@harbor.example"
    clinic.save()
    assert message_send(message_id=_cancellation_notice(appointment, personas).pk) == "sent"
    [email] = mail.outbox
    assert email.reply_to == ["desk@harbor.example"]
    assert email.message()["Reply-To"] == "desk@harbor.example"
    assert "reply to this email or call us at 617-555-0100" in email.body
    assert "reply to this email" in email.alternatives[0][0]


def test_without_the_setting_replies_go_to_the_clinics_contact_email(settings, clinic, appointment, personas):
    settings.CLINIC_REPLY_TO_EMAIL = ""
    clinic.email = "hello@harbor.example"
    clinic.save()
    message_send(message_id=_cancellation_notice(appointment, personas).pk)
    assert mail.outbox[0].reply_to == ["hello@harbor.example"]


def test_with_nowhere_for_replies_the_email_does_not_ask_for_one(settings, clinic, appointment, personas):
    settings.CLINIC_REPLY_TO_EMAIL = ""
    clinic.email = ""
    clinic.save()
    message_send(message_id=_cancellation_notice(appointment, personas).pk)
    [email] = mail.outbox
    assert email.reply_to == []
    assert "Reply-To" not in email.message()
    for part in (email.body, email.alternatives[0][0]):
        assert "reply" not in part.lower()
        assert "To book another time, call us at 617-555-0100." in part


def test_nowhere_to_reply_and_no_phone_still_says_how_to_book(settings, clinic, appointment, personas):
    settings.CLINIC_REPLY_TO_EMAIL = ""
    clinic.email = clinic.phone = ""
    clinic.save()
    message_send(message_id=_cancellation_notice(appointment, personas).pk)
    assert "To book another time, contact the clinic." in mail.outbox[0].body


def test_the_reply_to_header_reaches_the_mail_server(settings, clinic, appointment, personas, smtp_settings):
    settings.CLINIC_REPLY_TO_EMAIL = "desk@harbor.example"
    assert message_send(message_id=_cancellation_notice(appointment, personas).pk) == "sent"
    [received] = smtp_settings.messages
    assert message_from_bytes(received["content"])["Reply-To"] == "desk@harbor.example"


def test_a_reply_to_that_is_not_an_address_is_caught_at_deploy(settings):
    settings.CLINIC_REPLY_TO_EMAIL = "front desk"
    assert [c.id for c in reply_to_check(None)] == ["notifications.E002"]
    settings.CLINIC_REPLY_TO_EMAIL = "desk@harbor.example"
    assert reply_to_check(None) == []
