"""The outbox in the Django admin is read, never re-addressed or re-queued: a message is re-sent from the message
log's page."""

import pytest

from apps.core import clock
from apps.notifications.models import Message
from apps.notifications.outbox import message_enqueue

pytestmark = pytest.mark.django_db


def test_an_outbox_message_is_not_readdressed_in_the_admin(superuser_admin, personas):
    message = message_enqueue(
        patient=personas.patient,
        channel="email",
        to_address=personas.patient.email,
        purpose="statement_ready",
        template="statement_ready",
        context={"period": "November 2026"},
        subject=personas.patient,
        send_at=clock.now(),
        dedupe_key="admin-test",
    )
    url = f"/admin/notifications/message/{message.pk}/change/"
    assert superuser_admin.get(url).status_code == 200
    assert superuser_admin.post(url, {"to_address": "someone@else.test", "status": "pending"}).status_code == 403
    assert Message.objects.get(pk=message.pk).to_address == personas.patient.email


def test_a_patients_answer_to_a_reminder_is_read_not_changed_in_the_admin(superuser_admin, personas):
    from apps.notifications.models import AppointmentConfirmation
    from tests.factories import AppointmentFactory

    session = AppointmentFactory()
    answer = AppointmentConfirmation.objects.create(appointment=session, appointment_start=session.start, source="sms")
    url = f"/admin/notifications/appointmentconfirmation/{answer.pk}/change/"
    assert superuser_admin.get(url).status_code == 200
    assert superuser_admin.post(url, {"source": "email"}).status_code == 403
    assert superuser_admin.get("/admin/notifications/appointmentconfirmation/add/").status_code == 403
