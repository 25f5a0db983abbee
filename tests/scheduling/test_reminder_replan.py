"""A series' reminders are queued at booking, weeks ahead; when the chart they were planned from changes (address,
number, reminder choices, consent, zone), the ones not yet sent follow it in the same transaction."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from apps.audit.models import AccessLog
from apps.notifications.delivery import message_send
from apps.notifications.models import Message, MessageStatus
from apps.patients.services import patient_reminder_preferences_set, patient_sms_opt_out, patient_update
from apps.scheduling import services
from apps.scheduling.reminders import REPLANNED

from .conftest import weekly_at_three

pytestmark = pytest.mark.django_db

NEW_EMAIL = "pat.new@example.test"
NEW_PHONE = "+16175550199"


def _reminders(channel: str, status: str = MessageStatus.PENDING):
    return Message.objects.filter(purpose=f"reminder_{channel}", status=status).order_by("send_at")


def _preferences(clinic, *, email=True, sms=True, consent=True):
    patient_reminder_preferences_set(
        actor=clinic.front_desk, patient=clinic.patient, email=email, sms=sms, sms_consent=consent
    )
    clinic.patient.refresh_from_db()


def _update(clinic, **changes):
    patient_update(actor=clinic.front_desk, patient=clinic.patient, **changes)
    clinic.patient.refresh_from_db()


def test_a_new_email_address_takes_over_every_reminder_not_yet_sent(clinic):
    weekly = weekly_at_three(clinic, count=12)
    old_email = clinic.patient.email
    first, *rest = _reminders("email")
    Message.objects.filter(pk=first.pk).update(status=MessageStatus.SENT, sent_at=first.send_at)
    services.appointment_cancel(appointment=weekly.booked[5], actor=clinic.front_desk)

    _update(clinic, email=NEW_EMAIL)

    pending = list(_reminders("email"))
    assert [m.to_address for m in pending] == [NEW_EMAIL] * 10
    assert {m.subject_id for m in pending} == {str(a.pk) for a in weekly.booked[1:5] + weekly.booked[6:]}
    # The reminder already sent is not sent again, and the cancelled session's stays withdrawn.
    assert Message.objects.filter(purpose="reminder_email").count() == 12
    assert Message.objects.get(pk=first.pk).to_address == old_email
    # And the new address is where it goes when it falls due.
    with time_machine.travel(pending[0].send_at, tick=False):
        assert message_send(message_id=pending[0].pk) == "sent"
    assert mail.outbox[-1].to == [NEW_EMAIL]


def test_a_new_number_withdraws_texts_until_the_patient_agrees_to_texts_there(clinic):
    _preferences(clinic)
    weekly_at_three(clinic, count=3)
    queued = set(_reminders("sms").values_list("pk", flat=True))
    assert len(queued) == 3

    _update(clinic, phone="(617) 555-0199")

    assert (clinic.patient.reminder_sms, clinic.patient.sms_consent_at) == (False, None)
    assert not _reminders("sms").exists()
    assert set(_reminders("sms", MessageStatus.CANCELLED).values_list("last_error", flat=True)) == {REPLANNED}
    entry = AccessLog.objects.filter(action="reminder_preferences_change").latest("pk")
    assert (entry.actor, entry.detail["after"]) == (
        clinic.front_desk,
        {"reminder_email": True, "reminder_sms": False, "sms_consent": False},
    )
    assert _reminders("email").count() == 3

    _preferences(clinic)

    texts = _reminders("sms")
    assert [m.to_address for m in texts] == [NEW_PHONE] * 3
    assert set(texts.values_list("pk", flat=True)) == queued  # the withdrawn rows, revived with the new number


def test_the_same_number_typed_another_way_keeps_consent_and_texts(clinic):
    _preferences(clinic)
    weekly_at_three(clinic, count=2)
    Message.objects.update(updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    local = clinic.patient.phone.removeprefix("+1")

    _update(clinic, phone=f"({local[:3]}) {local[3:6]}-{local[6:]}", city="Salem")

    assert clinic.patient.reminder_sms and clinic.patient.sms_consent_at is not None
    assert not Message.objects.exclude(updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).exists()


def test_texts_turned_on_after_booking_remind_of_the_sessions_already_booked(clinic):
    weekly = weekly_at_three(clinic, count=4)
    assert not _reminders("sms").exists()

    _preferences(clinic)

    texts = _reminders("sms")
    assert [m.subject_id for m in texts] == [str(a.pk) for a in weekly.booked]
    assert {m.to_address for m in texts} == {clinic.patient.phone}


def test_reminders_turned_off_are_withdrawn_at_once(clinic):
    _preferences(clinic)
    weekly_at_three(clinic, count=4)

    _preferences(clinic, email=False, sms=False, consent=True)

    assert not _reminders("email").exists() and not _reminders("sms").exists()
    assert _reminders("email", MessageStatus.CANCELLED).count() == 4
    assert _reminders("sms", MessageStatus.CANCELLED).count() == 4


def test_texts_stopped_and_agreed_to_again_come_back(clinic):
    _preferences(clinic)
    weekly_at_three(clinic, count=3)

    patient_sms_opt_out(patient=clinic.patient)
    assert not _reminders("sms").exists()
    assert _reminders("email").count() == 3

    _preferences(clinic)
    assert _reminders("sms").count() == 3


def test_a_zone_of_their_own_is_named_in_the_reminders_already_queued(clinic):
    weekly_at_three(clinic, count=2)

    _update(clinic, time_zone="America/Los_Angeles")

    assert {m.context.get("patient_time_zone") for m in _reminders("email")} == {"America/Los_Angeles"}
