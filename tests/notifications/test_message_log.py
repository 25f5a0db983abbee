"""The staff message log (page and API): who may see it, its filters, and sending a failed message again."""

import datetime as dt
import re

import pytest
from django.core import mail

from apps.audit.models import AccessLog
from apps.core import clock
from apps.notifications.delivery import message_send
from apps.notifications.models import Message, MessageStatus
from apps.notifications.outbox import message_enqueue

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
        context={"start": subject.start.isoformat(), "confirm_url": "https://c/secret-token"},
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


def test_a_text_messages_number_reads_as_people_write_it(personas, login, appointment):
    text = _message(personas.patient, appointment, key="sms", purpose="reminder_sms")
    Message.objects.filter(pk=text.pk).update(channel="sms", to_address="+16175550123")
    body = login(personas.front_desk).get("/messages/").content.decode()
    assert '<span class="muted">(617) 555-0123</span>' in body and "+16175550123" not in body


@pytest.mark.parametrize("persona", LOG_STRANGERS)
def test_others_may_not_see_the_message_log(personas, login, log, persona):
    response = login(getattr(personas, persona)).get("/messages/")
    assert response.status_code == 403
    assert personas.patient.email not in response.content.decode()


def test_the_log_filters_by_patient_purpose_and_status(personas, login, log):
    client = login(personas.front_desk)
    by_patient = client.get(f"/messages/?patient={personas.other_patient.pk}")
    assert list(by_patient.context["history"]) == []
    assert list(by_patient.context["scheduled"]) == [log["other"]]
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
    # 12, and the menu's counts: unread patient messages, the work queue, referrals
    with django_assert_max_num_queries(11):
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
    with django_assert_max_num_queries(5):
        assert len(client.get("/api/messages/").json()["results"]) == 30


def test_the_log_points_out_failed_messages(personas, login, log):
    body = login(personas.front_desk).get("/messages/").content.decode()
    assert "1 failed" in body


# ------------------------------------------------------------------------------------------------------------
# Order and words


def _at(message, *, status, minutes_ago: int, sent: bool = True):
    """Put a message in a state that happened `minutes_ago` (sent then, or failed / cancelled then)."""
    when = clock.now() - dt.timedelta(minutes=minutes_ago)
    Message.objects.filter(pk=message.pk).update(
        status=status, sent_at=when if sent else None, updated_at=when, send_at=when - dt.timedelta(minutes=1)
    )


def _ordered_world(personas, appointment):
    rows = {key: _message(personas.patient, appointment, key=key) for key in ("old", "new", "failed", "soon", "later")}
    _at(rows["old"], status=MessageStatus.SENT, minutes_ago=300)
    _at(rows["new"], status=MessageStatus.SENT, minutes_ago=5)
    _at(rows["failed"], status=MessageStatus.FAILED, minutes_ago=60, sent=False)
    Message.objects.filter(pk=rows["soon"].pk).update(send_at=clock.now() + dt.timedelta(hours=1))
    Message.objects.filter(pk=rows["later"].pk).update(send_at=clock.now() + dt.timedelta(days=2))
    return rows


def test_the_log_lists_what_happened_newest_first_and_the_scheduled_apart(personas, login, appointment):
    rows = _ordered_world(personas, appointment)
    response = login(personas.front_desk).get("/messages/")
    assert list(response.context["history"]) == [rows["new"], rows["failed"], rows["old"]]
    assert list(response.context["scheduled"]) == [rows["soon"], rows["later"]]
    body = response.content.decode()
    assert body.index('id="history-h"') < body.index('id="scheduled-h">Scheduled</h2>')


def test_the_scheduled_filter_pages_through_every_scheduled_message_soonest_first(personas, login, appointment):
    rows = _ordered_world(personas, appointment)
    response = login(personas.front_desk).get("/messages/?status=pending")
    assert response.context["history"] is None
    assert list(response.context["page"]) == [rows["soon"], rows["later"]]


def test_a_long_schedule_shows_the_next_few_and_links_to_all(personas, login, appointment):
    for i in range(12):
        message = _message(personas.patient, appointment, key=f"s{i}")
        Message.objects.filter(pk=message.pk).update(send_at=clock.now() + dt.timedelta(hours=i + 1))
    body = login(personas.front_desk).get("/messages/").content.decode()
    assert "These are the next 10 of 12" in body
    assert 'href="?status=pending"' in body


def test_the_api_lists_in_the_pages_order(personas, login, appointment):
    _ordered_world(personas, appointment)
    page = login(personas.front_desk).get("/messages/").context
    api = login(personas.front_desk, api=True).get("/api/messages/").json()["results"]
    assert [row["id"] for row in api] == [m.pk for m in [*page["history"], *page["scheduled"]]]


def test_the_log_shows_words_not_codes(personas, login, appointment):
    message = _message(personas.patient, appointment, key="w", status=MessageStatus.SENT)
    Message.objects.filter(pk=message.pk).update(provider_status="undelivered")
    _message(personas.patient, appointment, key="g", purpose="group_reminder_sms")
    body = login(personas.front_desk).get("/messages/").content.decode()
    shown = re.sub(r"<[^>]+>", " ", body)  # the text people see, not option values
    for code in ("reminder_email", "group_reminder_sms", "undelivered"):
        assert code not in shown
    for words in ("Session reminder (email)", "Group meeting reminder (text)", "Not delivered", "Scheduled"):
        assert words in shown
