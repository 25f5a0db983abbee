"""The portal's and the inbox's pages: who may open them, what they show and log, and their query counts."""

import html
import re

import pytest

from apps.audit.models import AccessLog
from apps.messaging import services
from apps.messaging.models import Attachment, Message, MessageThread
from tests.factories import PatientFactory, UserFactory

from .conftest import PDF, upload

pytestmark = pytest.mark.django_db

CRISIS = "988"


def _threads(count: int, personas):
    for n in range(count):
        patient = PatientFactory(user=UserFactory(roles=["patient"]))
        thread = services.thread_start(actor=patient.user, patient=patient, subject=f"Question {n}", text="Hello")
        services.message_post(actor=personas.front_desk, thread=thread, text="Hi back")


# --- portal ----------------------------------------------------------------------------------------------------


def test_portal_list_shows_the_patients_threads_with_new_counts(clinic_thread, personas, login):
    services.message_post(actor=personas.front_desk, thread=clinic_thread, text="Behind the building.")
    services.thread_start(actor=personas.other_patient_user, patient=personas.other_patient, subject="Theirs", text="x")
    page = login(personas.patient_user).get("/portal/messages/")
    body = page.content.decode()
    assert page.status_code == 200 and "Parking" in body and "1 new" in body and "Theirs" not in body
    assert CRISIS in body and "911" in body


def test_portal_nav_counts_unread_threads(clinic_thread, personas, login):
    services.message_post(actor=personas.front_desk, thread=clinic_thread, text="Behind the building.")
    body = login(personas.patient_user).get("/portal/").content.decode()
    assert '<span class="nav-badge">1<span class="visually-hidden"> unread</span></span>' in body


def test_patient_starts_a_thread_from_the_portal(personas, login):
    client = login(personas.patient_user)
    assert CRISIS in client.get("/portal/messages/new/").content.decode()
    response = client.post(
        "/portal/messages/new/", {"subject": "Receipt", "text": "Could I get a receipt?", "attachments": [upload()]}
    )
    thread = MessageThread.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/portal/messages/{thread.pk}/"
    assert thread.messages.get().attachments.count() == 1


def test_an_empty_message_from_the_portal_is_a_422(personas, login):
    response = login(personas.patient_user).post("/portal/messages/new/", {"subject": "Hi", "text": ""})
    assert response.status_code == 422 and not MessageThread.objects.exists()


def test_a_wrong_file_type_from_the_portal_is_a_422_naming_the_limit(clinic_thread, personas, login):
    response = login(personas.patient_user).post(
        f"/portal/messages/{clinic_thread.pk}/", {"text": "Here", "attachments": [upload("virus.pdf", b"MZ!!")]}
    )
    assert response.status_code == 422 and "up to 10 MB" in response.content.decode()
    assert clinic_thread.messages.count() == 1


def test_the_patient_sees_the_reply_and_the_read_receipt(clinic_thread, personas, login):
    login(personas.front_desk).get(f"/inbox/{clinic_thread.pk}/")
    services.message_post(actor=personas.front_desk, thread=clinic_thread, text="Behind the building.")
    body = login(personas.patient_user).get(f"/portal/messages/{clinic_thread.pk}/").content.decode()
    assert "Where do I park?" in body and "Behind the building." in body and "Read by the clinic" in body
    assert Message.objects.filter(from_patient=False, read_by=personas.patient_user).count() == 1


def test_someone_elses_thread_is_a_404_in_the_portal(clinic_thread, personas, login):
    assert login(personas.other_patient_user).get(f"/portal/messages/{clinic_thread.pk}/").status_code == 404


@pytest.mark.parametrize("persona", ["front_desk", "therapist"])
def test_staff_cannot_use_the_portal_pages(personas, login, persona):
    assert login(getattr(personas, persona)).get("/portal/messages/").status_code == 403


def test_portal_thread_page_queries_stay_flat(clinic_thread, personas, login, django_assert_max_num_queries):
    for n in range(6):
        services.message_post(
            actor=personas.front_desk, thread=clinic_thread, text=f"Reply {n}", attachments=[upload()]
        )
    client = login(personas.patient_user)
    # The portal menu's question whether *Book* leads anywhere is one of them.
    with django_assert_max_num_queries(12):
        assert client.get(f"/portal/messages/{clinic_thread.pk}/").status_code == 200


# --- clinic inbox -------------------------------------------------------------------------------------------------


def test_front_desk_inbox_lists_unread_and_filters(clinic_thread, personas, login):
    services.thread_start(actor=personas.front_desk, patient=personas.other_patient, subject="Forms", text="Please")
    client = login(personas.front_desk)
    body = client.get("/inbox/").content.decode()
    assert "Parking" in body and "Forms" in body and "1 unread" in body
    unread = client.get("/inbox/?unread=1").content.decode()
    assert "Parking" in unread and "Forms" not in unread
    assert '<span class="nav-badge">1<span class="visually-hidden"> unread</span></span>' in body


@pytest.mark.parametrize("patient", ["²", "abc", "1.5"])
def test_a_patient_filter_that_is_not_an_id_lists_every_thread_and_writes_to_no_one(
    clinic_thread, personas, login, patient
):
    client = login(personas.front_desk)
    listing = client.get("/inbox/", {"patient": patient})
    assert listing.status_code == 200 and "Parking" in listing.content.decode()
    assert client.get("/inbox/new/", {"patient": patient}).status_code == 404


@pytest.mark.parametrize("persona", ["billing", "therapist", "patient_user"])
def test_the_inbox_is_closed_to_other_roles(personas, login, persona):
    assert login(getattr(personas, persona)).get("/inbox/").status_code == 403


def test_a_therapist_who_takes_messages_opens_the_inbox(therapist_messages_on, login):
    assert login(therapist_messages_on.therapist).get("/inbox/").status_code == 200


def test_reading_a_thread_is_access_logged_and_marks_it_read(clinic_thread, personas, login):
    body = login(personas.front_desk).get(f"/inbox/{clinic_thread.pk}/").content.decode()
    assert "Where do I park?" in body and CRISIS in body
    log = AccessLog.objects.get(action="message_thread_view", allowed=True)
    assert log.actor == personas.front_desk and log.patient_id == personas.patient.pk
    assert "park" not in str(log.detail)
    assert clinic_thread.messages.get().read_by == personas.front_desk


def test_front_desk_replies_and_sees_when_the_patient_read_it(clinic_thread, personas, login):
    client = login(personas.front_desk)
    assert client.post(f"/inbox/{clinic_thread.pk}/", {"text": "Behind the building."}).status_code == 302
    assert "Not read yet" in client.get(f"/inbox/{clinic_thread.pk}/").content.decode()
    services.messages_mark_read(actor=personas.patient_user, thread=clinic_thread)
    assert "Read by the patient" in client.get(f"/inbox/{clinic_thread.pk}/").content.decode()


def _reply_box(body: str) -> str:
    return html.unescape(re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', body, re.S).group(1)).strip()


def test_an_empty_reply_is_a_422_saying_what_to_fill_in(clinic_thread, personas, login):
    response = login(personas.front_desk).post(f"/inbox/{clinic_thread.pk}/", {"text": "  "})
    body = response.content.decode()
    assert response.status_code == 422 and clinic_thread.messages.count() == 1
    assert 'id="error-summary"' in body and 'href="#id_text"' in body
    assert "Fill in “Your message”." in html.unescape(body) and "This field is required." not in body


def test_a_reply_or_a_new_message_sent_with_nothing_in_it_is_refused_alike(clinic_thread, personas, login):
    client = login(personas.front_desk)
    reply = client.post(f"/inbox/{clinic_thread.pk}/", {})
    assert reply.status_code == 422 and "Fill in “Your message”." in html.unescape(reply.content.decode())
    new = client.post(f"/inbox/new/?patient={personas.patient.pk}", {})
    assert new.status_code == 422 and 'id="error-summary"' in new.content.decode()
    assert clinic_thread.messages.count() == 1 and MessageThread.objects.count() == 1


def test_a_reply_too_long_is_a_422_saying_by_how_much_and_keeps_the_text(clinic_thread, personas, login):
    typed = "Behind the building. " + "x" * 10_000
    response = login(personas.front_desk).post(f"/inbox/{clinic_thread.pk}/", {"text": typed})
    body = response.content.decode()
    assert response.status_code == 422 and clinic_thread.messages.count() == 1
    assert "Shorten “Your message” to 10,000 characters or fewer: it has 10,021, 21 too many." in html.unescape(body)
    assert _reply_box(body) == typed.strip()


@pytest.mark.parametrize(("url", "persona"), [("/inbox/{}/", "front_desk"), ("/portal/messages/{}/", "patient_user")])
def test_a_reply_to_a_conversation_closed_meanwhile_is_a_409_keeping_the_text(
    clinic_thread, personas, login, url, persona
):
    client = login(getattr(personas, persona))
    assert "Send reply" in client.get(url.format(clinic_thread.pk)).content.decode()
    services.thread_close(actor=personas.front_desk, thread=clinic_thread)

    response = client.post(url.format(clinic_thread.pk), {"text": "Behind the building, by the bikes."})

    body = response.content.decode()
    assert response.status_code == 409 and clinic_thread.messages.count() == 1
    assert "This conversation is closed; start a new one." in body and 'id="error-summary"' in body
    assert _reply_box(body) == "Behind the building, by the bikes." and "Send reply" not in body


def test_the_inbox_page_and_the_api_refuse_a_reply_to_a_closed_conversation_alike(clinic_thread, personas, login):
    services.thread_close(actor=personas.front_desk, thread=clinic_thread)
    page = login(personas.front_desk).post(f"/inbox/{clinic_thread.pk}/", {"text": "Still there?"})
    api = login(personas.front_desk, api=True).post(
        f"/api/message-threads/{clinic_thread.pk}/messages/", {"text": "Still there?"}, format="json"
    )
    assert page.status_code == api.status_code == 409
    assert api.json()["error"]["message"] in page.content.decode()
    assert clinic_thread.messages.count() == 1


def test_a_reply_from_someone_outside_the_conversation_is_refused_without_its_words(clinic_thread, personas, login):
    response = login(personas.billing).post(f"/inbox/{clinic_thread.pk}/", {"text": "x"})
    assert response.status_code == 403 and "park" not in response.content.decode()
    other = login(personas.other_patient_user).post(f"/portal/messages/{clinic_thread.pk}/", {"text": "x"})
    assert other.status_code == 404 and "park" not in other.content.decode().lower()
    assert clinic_thread.messages.count() == 1


def test_closing_asks_first_then_closes(clinic_thread, personas, login):
    client = login(personas.front_desk)
    confirm = client.get(f"/inbox/{clinic_thread.pk}/close/")
    assert confirm.status_code == 200 and "stays in the patient" in confirm.content.decode()
    clinic_thread.refresh_from_db()
    assert clinic_thread.is_open
    assert client.post(f"/inbox/{clinic_thread.pk}/close/").status_code == 302
    clinic_thread.refresh_from_db()
    assert not clinic_thread.is_open and clinic_thread.closed_by == personas.front_desk


def test_staff_outside_the_thread_get_a_404_and_a_refused_log_row(therapist_messages_on, login):
    personas = therapist_messages_on
    thread = services.thread_start(actor=personas.patient_user, patient=personas.patient, subject="Hi", text="x")
    assert login(personas.therapist).get(f"/inbox/{thread.pk}/").status_code == 404
    assert AccessLog.objects.filter(action="message_thread_view", allowed=False, actor=personas.therapist).exists()


def test_front_desk_writes_first_from_the_patients_page(personas, login):
    client = login(personas.front_desk)
    detail = client.get(f"/patients/{personas.patient.pk}/").content.decode()
    assert f"/inbox/?patient={personas.patient.pk}" in detail
    listing = client.get(f"/inbox/?patient={personas.patient.pk}").content.decode()
    assert f"/inbox/new/?patient={personas.patient.pk}" in listing
    response = client.post(f"/inbox/new/?patient={personas.patient.pk}", {"subject": "Forms", "text": "Please sign"})
    assert response.status_code == 302 and MessageThread.objects.get().patient == personas.patient


def test_attachments_are_served_to_participants_only(clinic_thread, personas, login):
    services.message_post(actor=personas.patient_user, thread=clinic_thread, text="Scan", attachments=[upload()])
    attachment = Attachment.objects.get()
    staff = login(personas.front_desk).get(f"/inbox/files/{attachment.pk}/")
    assert staff.status_code == 200 and b"".join(staff.streaming_content) == PDF
    assert staff["Content-Disposition"].startswith("attachment;") and staff["X-Content-Type-Options"] == "nosniff"
    assert login(personas.patient_user).get(f"/portal/messages/files/{attachment.pk}/").status_code == 200
    assert login(personas.other_patient_user).get(f"/portal/messages/files/{attachment.pk}/").status_code == 404
    assert login(personas.billing).get(f"/inbox/files/{attachment.pk}/").status_code == 403


def test_a_staff_download_of_an_attachment_is_in_the_access_log(clinic_thread, personas, login):
    services.message_post(actor=personas.patient_user, thread=clinic_thread, text="Scan", attachments=[upload()])
    attachment = Attachment.objects.get()
    assert login(personas.front_desk).get(f"/inbox/files/{attachment.pk}/").status_code == 200
    log = AccessLog.objects.get(actor=personas.front_desk, action="message_attachment_view")
    assert (log.action, log.subject_id, log.patient_id, log.allowed) == (
        "message_attachment_view",
        str(attachment.pk),
        personas.patient.pk,
        True,
    )
    assert login(personas.patient_user).get(f"/portal/messages/files/{attachment.pk}/").status_code == 200
    assert not AccessLog.objects.filter(actor=personas.patient_user, action="message_attachment_view").exists()


def test_inbox_queries_do_not_grow_with_threads(personas, login, django_assert_max_num_queries):
    client = login(personas.front_desk)
    _threads(2, personas)
    with django_assert_max_num_queries(8) as few:
        client.get("/inbox/")
    _threads(12, personas)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/inbox/").status_code == 200
