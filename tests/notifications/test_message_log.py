"""The staff message log (page and API): who may see it, its filters, and sending a failed message again."""

import pytest
from django.core import mail

from apps.audit.models import AccessLog
from apps.core import clock
from apps.notifications.models import Message, MessageStatus
from apps.notifications.services import message_enqueue, message_send

pytestmark = pytest.mark.django_db

LOG_READERS = ["front_desk", "admin"]
LOG_STRANGERS = ["therapist", "billing", "patient_user"]


def _message(patient, subject, *, key, purpose="reminder_email", status=MessageStatus.PENDING):
    message = message_enqueue(
        channel="email",
        to_address=patient.email,
        purpose=purpose,
        template="appointment_reminder",
        subject=subject,
        send_at=clock.now(),
        dedupe_key=key,
        patient=patient,
        context={"start": clock.now().isoformat(), "confirm_url": "https://c/secret-token"},
    )
    if status != MessageStatus.PENDING:
        Message.objects.filter(pk=message.pk).update(
            status=status, last_error="Mail server error" if status == "failed" else "", sent_at=clock.now()
        )
    return message


@pytest.fixture
def log(personas, appointment):
    return {
        "failed": _message(personas.patient, appointment, key="a", status=MessageStatus.FAILED),
        "sent": _message(personas.patient, appointment, key="b", purpose="seat_offer", status=MessageStatus.SENT),
        "other": _message(personas.other_patient, appointment, key="c"),
    }


@pytest.mark.parametrize("persona", LOG_READERS)
def test_front_desk_and_admins_see_the_message_log(personas, login, log, persona):
    response = login(getattr(personas, persona)).get("/messages/")
    assert response.status_code == 200
    body = response.content.decode()
    assert personas.patient.display_name in body
    assert "Send again" in body
    assert "secret-token" not in body


@pytest.mark.parametrize("persona", LOG_STRANGERS)
def test_others_may_not_see_the_message_log(personas, login, log, persona):
    response = login(getattr(personas, persona)).get("/messages/")
    assert response.status_code == 403
    assert personas.patient.email not in response.content.decode()


def test_the_log_filters_by_patient_purpose_and_status(personas, login, log):
    client = login(personas.front_desk)
    by_patient = client.get(f"/messages/?patient={personas.other_patient.pk}")
    assert list(by_patient.context["page"]) == [log["other"]]
    by_purpose = client.get("/messages/?purpose=seat_offer")
    assert list(by_purpose.context["page"]) == [log["sent"]]
    by_status = client.get("/messages/?status=failed")
    assert list(by_status.context["page"]) == [log["failed"]]
    htmx = client.get("/messages/?status=failed", HTTP_HX_REQUEST="true")
    assert "<h1>" not in htmx.content.decode()


def test_the_log_page_queries_do_not_grow_with_rows(personas, login, appointment, django_assert_max_num_queries):
    client = login(personas.front_desk)
    for i in range(30):
        _message(personas.patient if i % 2 else personas.other_patient, appointment, key=f"k{i}")
    with django_assert_max_num_queries(12):
        assert client.get("/messages/").status_code == 200


@pytest.mark.parametrize("persona", LOG_READERS)
def test_a_failed_message_can_be_sent_again(personas, login, log, persona):
    client = login(getattr(personas, persona))
    response = client.post(f"/messages/{log['failed'].pk}/resend/", {"next": "/messages/?status=failed"})
    assert response.status_code == 302
    assert response.url == "/messages/?status=failed"
    message = Message.objects.get(pk=log["failed"].pk)
    assert (message.status, message.attempts, message.last_error) == ("pending", 0, "")
    assert AccessLog.objects.filter(action="message_resend", subject_id=str(message.pk)).exists()
    assert message_send(message_id=message.pk) == "sent"
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("persona", LOG_STRANGERS)
def test_others_may_not_resend(personas, login, log, persona):
    response = login(getattr(personas, persona)).post(f"/messages/{log['failed'].pk}/resend/")
    assert response.status_code == 403
    assert Message.objects.get(pk=log["failed"].pk).status == "failed"


def test_only_failed_messages_are_resent(personas, login, log):
    client = login(personas.front_desk)
    client.post(f"/messages/{log['sent'].pk}/resend/")
    assert Message.objects.get(pk=log["sent"].pk).status == "sent"


def test_resend_ignores_an_outside_redirect(personas, login, log):
    response = login(personas.front_desk).post(
        f"/messages/{log['failed'].pk}/resend/", {"next": "https://evil.example/"}
    )
    assert response.url == "/messages/"


# ------------------------------------------------------------------------------------------------------------
# API


@pytest.mark.parametrize("persona", LOG_READERS)
def test_the_api_lists_messages_for_front_desk_and_admins(personas, login, log, persona):
    response = login(getattr(personas, persona), api=True).get("/api/messages/?status=failed")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == log["failed"].pk
    assert row["patient_name"] == personas.patient.display_name
    assert "context" not in row


@pytest.mark.parametrize("persona", LOG_STRANGERS)
def test_the_api_refuses_others(personas, login, log, persona):
    client = login(getattr(personas, persona), api=True)
    assert client.get("/api/messages/").status_code == 403
    response = client.get(f"/api/messages/{log['failed'].pk}/")
    assert response.status_code == 403
    assert personas.patient.email not in response.content.decode()
    assert client.post(f"/api/messages/{log['failed'].pk}/resend/").status_code == 403


def test_the_api_resends_a_failed_message(personas, login, log):
    client = login(personas.front_desk, api=True)
    response = client.post(f"/api/messages/{log['failed'].pk}/resend/")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"


def test_the_api_answers_409_for_a_message_that_did_not_fail(personas, login, log):
    response = login(personas.front_desk, api=True).post(f"/api/messages/{log['sent'].pk}/resend/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_the_api_answers_404_for_no_such_message(personas, login):
    response = login(personas.admin, api=True).get("/api/messages/999999/")
    assert response.status_code == 404


def test_the_api_rejects_a_bad_filter(personas, login):
    response = login(personas.admin, api=True).get("/api/messages/?status=lost")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["status"]


def test_the_api_list_queries_do_not_grow_with_rows(personas, login, appointment, django_assert_max_num_queries):
    client = login(personas.front_desk, api=True)
    for i in range(30):
        _message(personas.patient, appointment, key=f"api{i}")
    with django_assert_max_num_queries(10):
        assert len(client.get("/api/messages/").json()["results"]) == 30


def test_the_log_points_out_failed_messages(personas, login, log):
    body = login(personas.front_desk).get("/messages/").content.decode()
    assert "1 failed" in body
