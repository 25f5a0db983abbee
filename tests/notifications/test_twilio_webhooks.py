"""Twilio's delivery reports and patients' replies, accepted only with a valid signature."""

import datetime as dt
import html
import re

import pytest
from twilio.request_validator import RequestValidator

from apps.core import clock
from apps.notifications.models import AppointmentConfirmation, Message, MessageStatus
from apps.notifications.outbox import message_enqueue
from apps.patients.models import Patient
from apps.scheduling.models import Appointment
from tests.factories import appointment_ahead
from tests.places import pacific_office

from .conftest import reminder_texted

pytestmark = pytest.mark.django_db

TOKEN = "webhook-test-token"


@pytest.fixture(autouse=True)
def _twilio(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SITE_URL = "https://clinic.example"


def _post(client, path, params, *, token=TOKEN):
    signature = RequestValidator(token).compute_signature(f"https://clinic.example{path}", params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_a_delivery_report_updates_the_message(client, texted_reminder):
    response = _post(client, "/messages/twilio/status/", {"MessageSid": "SM123", "MessageStatus": "delivered"})
    assert response.status_code == 204
    texted_reminder.refresh_from_db()
    assert (texted_reminder.status, texted_reminder.provider_status) == ("sent", "delivered")


def test_an_undelivered_text_shows_as_failed_for_staff(client, texted_reminder):
    params = {"MessageSid": "SM123", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert _post(client, "/messages/twilio/status/", params).status_code == 204
    texted_reminder.refresh_from_db()
    assert texted_reminder.status == MessageStatus.FAILED
    assert "30003" in texted_reminder.last_error


def test_a_report_with_a_bad_signature_is_refused(client, texted_reminder):
    params = {"MessageSid": "SM123", "MessageStatus": "undelivered"}
    assert _post(client, "/messages/twilio/status/", params, token="someone-else").status_code == 403
    assert client.post("/messages/twilio/status/", params).status_code == 403
    texted_reminder.refresh_from_db()
    assert texted_reminder.status == MessageStatus.SENT


def test_a_report_for_an_unknown_message_is_accepted_and_ignored(client, texted_reminder):
    assert (
        _post(client, "/messages/twilio/status/", {"MessageSid": "SM999", "MessageStatus": "sent"}).status_code == 204
    )


def test_a_report_without_its_fields_is_a_bad_request(client):
    assert _post(client, "/messages/twilio/status/", {"MessageSid": "SM1"}).status_code == 400


def test_replying_c_confirms_the_texted_session(client, texted_reminder, appointment, personas):
    response = _post(client, "/messages/twilio/inbound/", {"From": personas.patient.phone, "Body": " c "})
    assert response.status_code == 200
    assert f"Thank you. {personas.patient.first_name}'s session on " in html.unescape(response.content.decode())
    confirmation = AppointmentConfirmation.objects.get()
    assert (confirmation.appointment_id, confirmation.source) == (appointment.pk, "sms")


def test_the_answer_tells_the_session_time_on_its_office_clock(client, texted_reminder, appointment, personas):
    office = pacific_office()
    Appointment.objects.filter(pk=appointment.pk).update(location=office, room=None)
    local = appointment.start.astimezone(office.zone)
    reply = _post(client, "/messages/twilio/inbound/", {"From": personas.patient.phone, "Body": "C"}).content.decode()
    assert f"at {local:%-I:%M %p} Los Angeles time is confirmed" in reply


@pytest.mark.parametrize("body", ["C", "CANCEL"])
def test_a_number_the_patient_gave_up_no_longer_speaks_for_their_sessions(
    client, texted_reminder, appointment, personas, body
):
    old_number = personas.patient.phone
    Patient.objects.filter(pk=personas.patient.pk).update(phone="+16175550142")

    reply = html.unescape(
        _post(client, "/messages/twilio/inbound/", {"From": old_number, "Body": body}).content.decode()
    )

    assert "could not find" in reply
    assert personas.patient.first_name not in reply and "https://" not in reply
    assert not AppointmentConfirmation.objects.exists()


def test_replying_c_without_a_texted_session_says_so(client, personas):
    response = _post(client, "/messages/twilio/inbound/", {"From": personas.patient.phone, "Body": "C"})
    assert "could not find" in response.content.decode()
    assert not AppointmentConfirmation.objects.exists()


def test_replying_stop_opts_out_and_cancels_pending_texts(client, texted_reminder, appointment, personas):
    pending = message_enqueue(
        channel="sms",
        to_address=personas.patient.phone,
        purpose="reminder_sms",
        template="appointment_reminder",
        subject=appointment,
        send_at=clock.now() + dt.timedelta(days=1),
        dedupe_key="sms-reminder-2",
        patient=personas.patient,
    )
    response = _post(client, "/messages/twilio/inbound/", {"From": personas.patient.phone, "Body": "STOP"})
    assert response.status_code == 200
    personas.patient.refresh_from_db()
    assert personas.patient.sms_opted_out_at is not None
    assert not personas.patient.can_receive_sms
    pending.refresh_from_db()
    assert pending.status == MessageStatus.CANCELLED


def test_an_inbound_text_with_a_bad_signature_changes_nothing(client, texted_reminder, personas):
    params = {"From": personas.patient.phone, "Body": "STOP"}
    assert _post(client, "/messages/twilio/inbound/", params, token="forged").status_code == 403
    personas.patient.refresh_from_db()
    assert personas.patient.can_receive_sms


def test_a_late_report_of_an_earlier_stage_does_not_undo_delivery(client, texted_reminder):
    _post(client, "/messages/twilio/status/", {"MessageSid": "SM123", "MessageStatus": "delivered"})
    _post(client, "/messages/twilio/status/", {"MessageSid": "SM123", "MessageStatus": "sent"})
    texted_reminder.refresh_from_db()
    assert texted_reminder.provider_status == "delivered"


# ------------------------------------------------------------------------------------------------------------
# Reply keywords: any case, spaces around ignored


def _reply(client, personas, body, **extra):
    response = _post(client, "/messages/twilio/inbound/", {"From": personas.patient.phone, "Body": body, **extra})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("body", ["C", " c ", "CONFIRM", "confirm.", "Y", "y", "YES", " Yes! ", "yes\n"])
def test_every_confirm_word_confirms_the_texted_session(client, texted_reminder, appointment, personas, body):
    assert "is confirmed" in _reply(client, personas, body)
    confirmation = AppointmentConfirmation.objects.get()
    assert (confirmation.appointment_id, confirmation.source) == (appointment.pk, "sms")


@pytest.mark.parametrize("body", ["CANCEL", "cancel", " Cancel ", "CANCEL."])
def test_cancel_answers_how_to_cancel_and_opts_out_of_nothing(client, texted_reminder, appointment, personas, body):
    pending = message_enqueue(
        channel="sms",
        to_address=personas.patient.phone,
        purpose="reminder_sms",
        template="appointment_reminder",
        subject=appointment,
        send_at=clock.now() + dt.timedelta(days=1),
        dedupe_key="sms-reminder-later",
        patient=personas.patient,
    )
    reply = _reply(client, personas, body)
    assert "Nothing is cancelled yet" in reply
    assert "reply STOP to end all texts" in reply
    assert "call us at 617-555-0100" in reply
    link = re.search(r"https://clinic\.example(/messages/appointment/cancel/[^/\s]+/)", reply).group(1)
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    personas.patient.refresh_from_db()
    assert personas.patient.can_receive_sms
    pending.refresh_from_db()
    assert pending.status == MessageStatus.PENDING
    # The link is the reminder's own: it shows the session and the policy, and cancels only when pressed.
    page = client.get(link)
    assert page.status_code == 200
    assert appointment.therapist.first_name in page.content.decode()


def test_cancel_without_a_texted_session_says_so_and_still_opts_out_of_nothing(client, personas, set_reminders):
    set_reminders(email=True, sms=True)
    reply = _reply(client, personas, "CANCEL")
    assert "could not find an upcoming session to cancel" in reply
    assert "reply STOP to end all texts" in reply
    personas.patient.refresh_from_db()
    assert personas.patient.can_receive_sms


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop ", "STOPALL", "stopall", "UNSUBSCRIBE", "unsubscribe", "QUIT"])
def test_every_opt_out_word_stops_all_texts(client, texted_reminder, personas, body):
    assert "<Message>" not in _reply(client, personas, body)
    personas.patient.refresh_from_db()
    assert personas.patient.sms_opted_out_at is not None
    assert not personas.patient.can_receive_sms


def test_when_twilio_says_it_opted_the_number_out_the_chart_agrees(client, texted_reminder, personas):
    # A messaging service still treating CANCEL as an opt-out blocks the number and says so with OptOutType.
    assert "<Message>" not in _reply(client, personas, "CANCEL", OptOutType="STOP")
    personas.patient.refresh_from_db()
    assert not personas.patient.can_receive_sms


@pytest.mark.parametrize("body", ["Hello", "Can I move my session?", "C please", ""])
def test_other_texts_change_nothing_and_get_no_answer(client, texted_reminder, personas, body):
    assert "<Message>" not in _reply(client, personas, body)
    personas.patient.refresh_from_db()
    assert personas.patient.can_receive_sms
    assert not AppointmentConfirmation.objects.exists()


# ------------------------------------------------------------------------------------------------------------
# A number two charts share (a parent and a child)


@pytest.fixture
def childs_session(texted_reminder, personas):
    """The other patient (Robin, a child) shares the persona patient's number, and a reminder of their session was
    texted to it too."""
    Patient.objects.filter(pk=personas.other_patient.pk).update(
        phone=personas.patient.phone, preferred_name="Robin", reminder_sms=True, sms_consent_at=clock.now()
    )
    personas.other_patient.refresh_from_db()
    session = appointment_ahead(therapist=personas.other_therapist, patient=personas.other_patient)
    reminder_texted(session)
    return session


@pytest.mark.parametrize(("body", "action"), [("YES", "confirm"), ("CANCEL", "cancel")])
def test_a_reply_from_a_number_two_patients_share_names_each_session_and_does_nothing(
    client, appointment, childs_session, personas, body, action
):
    reply = _reply(client, personas, body)

    assert "more than one person" in reply
    for session in (appointment, childs_session):
        [line] = [line for line in reply.splitlines() if line.startswith(f"{session.patient.first_name}, ")]
        link = re.search(rf"https://clinic\.example(/messages/appointment/{action}/[^/\s]+/)$", line).group(1)
        # Each name's link opens that patient's own session (their therapist), and acts only when pressed.
        assert session.therapist.first_name in client.get(link).content.decode()
    assert "call us at 617-555-0100" in reply
    assert appointment.therapist.first_name not in reply and childs_session.therapist.first_name not in reply
    assert not AppointmentConfirmation.objects.exists()
    assert Appointment.objects.filter(status="booked").count() == 2


def test_a_shared_number_with_one_patients_session_still_open_confirms_it_by_name(
    client, appointment, childs_session, personas
):
    Appointment.objects.filter(pk=childs_session.pk).update(status="cancelled")

    reply = html.unescape(_reply(client, personas, "C"))

    assert f"Thank you. {personas.patient.first_name}'s session on " in reply
    assert AppointmentConfirmation.objects.get().appointment_id == appointment.pk


def test_replying_c_to_a_reminder_of_a_time_the_session_has_left_confirms_nothing(
    client, appointment, personas, set_reminders
):
    set_reminders(email=True, sms=True)
    appointment.patient.refresh_from_db()
    reminder = reminder_texted(appointment)
    Message.objects.filter(pk=reminder.pk).update(context={"start": appointment.start.isoformat()})
    moved_to = appointment.start + dt.timedelta(days=1)
    Appointment.objects.filter(pk=appointment.pk).update(start=moved_to, end=moved_to + dt.timedelta(minutes=45))

    reply = html.unescape(
        _post(client, "/messages/twilio/inbound/", {"From": personas.patient.phone, "Body": "C"}).content.decode()
    )

    assert "has moved to" in reply and "nothing is confirmed" in reply
    assert not AppointmentConfirmation.objects.exists()
    # Its reminder of the new time is what a "C" then answers.
    Message.objects.filter(pk=reminder.pk).update(context={"start": moved_to.isoformat()})
    reply = html.unescape(
        _post(client, "/messages/twilio/inbound/", {"From": personas.patient.phone, "Body": "C"}).content.decode()
    )
    assert "is confirmed" in reply
    assert AppointmentConfirmation.objects.get().appointment_start == moved_to
