"""A patient's notices go through one helper: the channels the patient agreed to, keyed once, greeting them by name."""

import datetime as dt

import pytest

from apps.core import clock
from apps.notifications.models import Message
from apps.notifications.outbox import messages_enqueue, patient_notice_build, patient_notice_enqueue
from apps.patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def texting_patient(personas):
    patient = personas.patient
    patient.phone = "+15555550123"
    patient.sms_consent_at = clock.now()
    patient.save(update_fields=["phone", "sms_consent_at"])
    return patient


def _notice(patient, **options):
    return {
        "patient": patient,
        "subject": patient,
        "template": "statement_ready",
        "key": f"patient:{patient.pk}:notice",
        "context": {"period": "May 2026"},
        **options,
    }


def test_a_notice_goes_by_email_and_by_text_to_a_patient_who_agreed_keyed_per_channel(texting_patient):
    queued = patient_notice_enqueue(**_notice(texting_patient))
    assert sorted((m.channel, m.to_address, m.dedupe_key) for m in queued) == [
        ("email", texting_patient.email, f"patient:{texting_patient.pk}:notice:email"),
        ("sms", texting_patient.phone, f"patient:{texting_patient.pk}:notice:sms"),
    ]
    assert {m.purpose for m in queued} == {"statement_ready"}


def test_an_email_only_notice_is_one_email_keyed_by_its_own_key_even_for_a_patient_who_texts(texting_patient):
    [message] = patient_notice_enqueue(**_notice(texting_patient, email_only=True))
    assert (message.channel, message.dedupe_key) == ("email", f"patient:{texting_patient.pk}:notice")
    assert patient_notice_enqueue(**_notice(texting_patient, email_only=True)) == []
    assert Message.objects.count() == 1


def test_a_notice_greets_the_patient_and_records_their_account(personas):
    [message] = patient_notice_enqueue(**_notice(personas.patient, email_only=True))
    message.refresh_from_db()
    assert message.context == {"patient_first_name": "Pat", "period": "May 2026"}
    assert (message.patient, message.recipient_user) == (personas.patient, personas.patient_user)


def test_a_notice_goes_out_when_asked(personas):
    later = clock.now() + dt.timedelta(hours=3)
    [message] = patient_notice_enqueue(**_notice(personas.patient, email_only=True, send_at=later))
    assert message.send_at == later


def test_a_patient_without_an_address_or_consent_gets_nothing(personas):
    personas.patient.email = ""
    personas.patient.save(update_fields=["email"])
    assert patient_notice_enqueue(**_notice(personas.patient)) == []


def test_building_notices_for_many_patients_reads_nothing_more(personas, django_assert_num_queries):
    patients = list(Patient.objects.filter(pk__in=[personas.patient.pk, personas.other_patient.pk]))
    with django_assert_num_queries(0):
        notices = [
            message for patient in patients for message in patient_notice_build(**_notice(patient, email_only=True))
        ]
    messages_enqueue(messages=notices)
    assert set(Message.objects.values_list("recipient_user", flat=True)) == {
        personas.patient_user.pk,
        personas.other_patient_user.pk,
    }


def test_a_notice_can_leave_out_the_email_for_a_text_only(texting_patient):
    [message] = patient_notice_enqueue(**_notice(texting_patient, email=False))
    assert (message.channel, message.dedupe_key) == ("sms", f"patient:{texting_patient.pk}:notice:sms")


def test_a_key_and_purpose_naming_the_channel_get_it_in_place(texting_patient):
    queued = patient_notice_enqueue(
        **_notice(texting_patient, key="meeting:7:member:3:reminder_{channel}:at-10", purpose="reminder_{channel}")
    )
    assert sorted((m.channel, m.purpose, m.dedupe_key) for m in queued) == [
        ("email", "reminder_email", "meeting:7:member:3:reminder_email:at-10"),
        ("sms", "reminder_sms", "meeting:7:member:3:reminder_sms:at-10"),
    ]
    assert {m.template for m in queued} == {"statement_ready"}
