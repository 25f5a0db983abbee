"""A message queued for a patient goes out only to an email or mobile number that is still theirs: one queued before
the address changed (an offer, a notice, a text quiet hours held to the morning) is withdrawn when it falls due, with
the reason staff read in the message log. One queued to the new address goes; so does one about the patient that goes
to someone else on purpose (a secure message's notice to the clinic or to their therapist)."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core import clock
from apps.core.models import ClinicSettings
from apps.messaging import services as messaging
from apps.notifications.delivery import messages_claim_due, messages_send
from apps.notifications.models import Message, MessageStatus
from apps.notifications.outbox import patient_notice_enqueue
from apps.patients.services import patient_update
from tests.factories import PatientFactory
from tests.waitlist.test_slot_waitlist import chart_only_offer, weekly  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

EMAIL_CHANGED = "The patient's email changed after this was queued: not sent to an address that is no longer theirs."
PHONE_CHANGED = "The patient's mobile number changed after this was queued: not texted to a number no longer theirs."
NEW_EMAIL = "pat.elsewhere@example.test"
NEW_PHONE = "+16175550199"


def _send_due() -> dict[str, int]:
    return messages_send(message_ids=messages_claim_due())


def _notice(patient, key: str, **options) -> list[Message]:
    return patient_notice_enqueue(
        patient=patient,
        subject=patient,
        template="statement_ready",
        key=f"patient:{patient.pk}:{key}",
        context={"period": "May 2026"},
        **options,
    )


def _cancelled_with(message: Message, reason: str) -> None:
    message.refresh_from_db()
    assert (message.status, message.last_error, message.sent_at) == (MessageStatus.CANCELLED, reason, None)


def test_an_offer_emailed_before_the_email_changed_is_not_sent_to_the_old_address(personas, chart_only_offer):  # noqa: F811
    patient, _ = chart_only_offer
    old = patient.email
    offer = Message.objects.get(template="slot_offer", channel="email", patient=patient)
    patient_update(actor=personas.front_desk, patient=patient, email=NEW_EMAIL)
    assert _send_due().get("cancelled", 0) >= 1
    assert not [sent for sent in mail.outbox if old in sent.to]
    _cancelled_with(offer, EMAIL_CHANGED)


def test_the_same_email_in_other_letters_is_still_the_patients(personas):
    patient = personas.other_patient
    [notice] = _notice(patient, "case", email_only=True)
    patient_update(actor=personas.front_desk, patient=patient, email=patient.email.upper())
    assert _send_due() == {"sent": 1}
    notice.refresh_from_db()
    assert notice.status == MessageStatus.SENT


def test_a_text_held_for_the_quiet_hours_is_not_sent_to_a_number_changed_overnight(personas, twilio_api):
    patient = PatientFactory(phone="+16175550123", sms_consent_at=clock.now())
    night = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=1), dt.time(22, 30))
    with time_machine.travel(night, tick=False):
        [text] = _notice(patient, "overnight", email=False)
        assert text.send_at > night  # held to the morning
        patient_update(actor=personas.front_desk, patient=patient, phone=NEW_PHONE)
    with time_machine.travel(text.send_at + dt.timedelta(minutes=1), tick=False):
        assert _send_due() == {"cancelled": 1}
    assert twilio_api.requests == []
    _cancelled_with(text, PHONE_CHANGED)


def test_a_notice_queued_after_the_change_goes_to_the_new_address(personas):
    patient = personas.other_patient
    [before] = _notice(patient, "before", email_only=True)
    patient = patient_update(actor=personas.front_desk, patient=patient, email=NEW_EMAIL)
    [after] = _notice(patient, "after", email_only=True)
    assert _send_due() == {"cancelled": 1, "sent": 1}
    assert [sent.to for sent in mail.outbox] == [[NEW_EMAIL]]
    _cancelled_with(before, EMAIL_CHANGED)
    after.refresh_from_db()
    assert after.status == MessageStatus.SENT


def test_a_change_of_something_else_keeps_the_message(personas):
    patient = personas.other_patient
    [notice] = _notice(patient, "kept", email_only=True)
    patient_update(actor=personas.front_desk, patient=patient, preferred_name="Sunny", city="Salem")
    assert _send_due() == {"sent": 1}
    assert [sent.to for sent in mail.outbox] == [[patient.email]]


def test_a_secure_messages_notice_to_the_clinic_still_goes_after_the_patients_email_changed(personas):
    ClinicSettings.objects.update_or_create(id=1, defaults={"email": "desk@clinic.example.test"})
    messaging.thread_start(actor=personas.patient_user, patient=personas.patient, subject="Parking", text="Where?")
    notice = Message.objects.get(template="secure_message_staff")
    assert (notice.patient, notice.to_address) == (personas.patient, "desk@clinic.example.test")
    patient_update(actor=personas.front_desk, patient=personas.patient, email=NEW_EMAIL)
    assert _send_due() == {"sent": 1}
    assert [sent.to for sent in mail.outbox] == [["desk@clinic.example.test"]]


def test_a_secure_messages_notice_to_the_therapist_still_goes_after_the_patients_email_changed(personas):
    ClinicSettings.objects.update_or_create(id=1, defaults={"patient_messages_to_therapists": True})
    personas.therapist.therapist_profile.accepts_patient_messages = True
    personas.therapist.therapist_profile.save()
    messaging.thread_start(
        actor=personas.patient_user,
        patient=personas.patient,
        subject="Sleep",
        text="Worse",
        therapist=personas.therapist,
    )
    patient_update(actor=personas.front_desk, patient=personas.patient, email=NEW_EMAIL)
    assert _send_due() == {"sent": 1}
    assert [sent.to for sent in mail.outbox] == [[personas.therapist.email]]


def test_the_message_log_shows_why_the_message_was_withdrawn(personas, login):
    patient = personas.other_patient
    _notice(patient, "logged", email_only=True)
    patient_update(actor=personas.front_desk, patient=patient, email=NEW_EMAIL)
    _send_due()
    page = login(personas.front_desk).get(f"/messages/?patient={patient.pk}")
    assert page.status_code == 200
    assert "The patient&#x27;s email changed after this was queued" in page.content.decode()


def _withdrawn_batch_queries(front_desk, patients: int, start: int) -> int:
    """How many queries a batch takes that withdraws an email and a text for each of `patients` whose email and
    number both changed since."""
    notices = []
    for i in range(start, start + patients):
        patient = PatientFactory(phone=f"+1617555{i:04d}", sms_consent_at=clock.now())
        notices += _notice(patient, "many")
        patient_update(actor=front_desk, patient=patient, email=f"moved{i}@example.test", phone=f"+1508555{i:04d}")
    ids = messages_claim_due()
    with CaptureQueriesContext(connection) as queries:
        assert messages_send(message_ids=ids) == {"cancelled": 2 * patients}
    assert sorted(Message.objects.filter(pk__in=[n.pk for n in notices]).values_list("last_error", flat=True)) == (
        [EMAIL_CHANGED] * patients + [PHONE_CHANGED] * patients
    )
    return len(queries)


def test_withdrawing_a_batch_for_changed_addresses_reads_the_same_whatever_the_number_of_patients(personas):
    # No quiet hours, so that the texts fall due with the emails at any hour.
    ClinicSettings.objects.update_or_create(
        id=1, defaults={"quiet_hours_start": dt.time(8), "quiet_hours_end": dt.time(8)}
    )
    assert _withdrawn_batch_queries(personas.front_desk, 2, start=0) == _withdrawn_batch_queries(
        personas.front_desk, 6, start=10
    )
