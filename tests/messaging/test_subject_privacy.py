"""A conversation's subject is the patient's own words ("Panic attacks since Tuesday"): it is encrypted at rest like
the messages' text, shown only to the conversation's parties, and never leaves in a notice, a log or an admin list."""

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from apps.core.database_roles import OWNER_DATABASE
from apps.core.encryption import REENCRYPT_SETTING, rotate_token
from apps.core.models import ClinicSettings
from apps.messaging import services
from apps.messaging.models import MessageThread
from apps.notifications.delivery import _render
from apps.notifications.models import Message as Outgoing

pytestmark = pytest.mark.django_db

SUBJECT = "Panic attacks since Tuesday"
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def _raw_row(thread_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(t)::text FROM messaging_messagethread t WHERE id = %s", [thread_id])
        return cursor.fetchone()[0]


def _plain_in(text: str) -> bool:
    return "Panic" in text or "Tuesday" in text


@pytest.fixture
def panic_thread(personas):
    return services.thread_start(actor=personas.patient_user, patient=personas.patient, subject=SUBJECT, text="Help.")


def test_the_subject_is_not_stored_in_plaintext(panic_thread):
    assert not _plain_in(_raw_row(panic_thread.pk))
    assert MessageThread.objects.get(pk=panic_thread.pk).subject == SUBJECT


def test_the_pages_and_the_api_still_show_the_subject(panic_thread, personas, login):
    patient = login(personas.patient_user)
    for url in ["/portal/messages/", f"/portal/messages/{panic_thread.pk}/"]:
        assert SUBJECT in patient.get(url).content.decode(), url
    staff = login(personas.front_desk)
    for url in ["/inbox/", f"/inbox/{panic_thread.pk}/", f"/inbox/{panic_thread.pk}/close/"]:
        assert SUBJECT in staff.get(url).content.decode(), url
    listed = login(personas.patient_user, api=True).get("/api/message-threads/").json()["results"]
    assert [thread["subject"] for thread in listed] == [SUBJECT]


def test_a_thread_started_through_the_api_answers_with_its_subject_and_stores_it_encrypted(personas, login):
    response = login(personas.patient_user, api=True).post(
        "/api/message-threads/", {"subject": SUBJECT, "text": "Help."}, format="json"
    )
    assert response.status_code == 201 and response.json()["subject"] == SUBJECT
    assert not _plain_in(_raw_row(response.json()["id"]))


def test_the_app_role_cannot_rewrite_a_subject_even_declaring_a_rotation(panic_thread):
    token = MessageThread.objects.get(pk=panic_thread.pk).subject_encrypted
    with pytest.raises(IntegrityError, match="cannot change"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [REENCRYPT_SETTING])
        cursor.execute(
            "UPDATE messaging_messagethread SET subject_encrypted = %s WHERE id = %s",
            [rotate_token(token), panic_thread.pk],
        )
    assert MessageThread.objects.get(pk=panic_thread.pk).subject_encrypted == token


# Rotation connects as the owner role (a connection of its own), so it sees only committed rows.
@pytest.mark.django_db(transaction=True, databases=["default", OWNER_DATABASE])
def test_rotation_reencrypts_the_subject_and_the_old_key_can_then_go(settings, personas):
    settings.CLINIC_ENCRYPTION_KEYS = [OLD_KEY]
    thread = services.thread_start(actor=personas.patient_user, patient=personas.patient, subject=SUBJECT, text="Hi")
    before = _raw_row(thread.pk)

    settings.CLINIC_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = io.StringIO()
    call_command("encryption_rotate", stdout=out)
    assert "messaging.MessageThread: 1 re-encrypted" in out.getvalue()

    settings.CLINIC_ENCRYPTION_KEYS = [NEW_KEY]
    assert _raw_row(thread.pk) != before and not _plain_in(_raw_row(thread.pk))
    assert MessageThread.objects.get(pk=thread.pk).subject == SUBJECT


def test_no_notice_carries_the_subject(panic_thread, personas):
    ClinicSettings.objects.update_or_create(id=1, defaults={"email": "desk@clinic.example"})
    services.thread_start(actor=personas.patient_user, patient=personas.patient, subject=SUBJECT, text="Again.")
    services.message_post(actor=personas.front_desk, thread=panic_thread, text="We can talk on Thursday.")
    notices = list(Outgoing.objects.all())
    assert {notice.template for notice in notices} == {"secure_message", "secure_message_staff"}
    for notice in notices:
        rendered = _render(notice).rendered
        words = " ".join([str(notice.context), rendered.subject, rendered.text, rendered.html, rendered.sms])
        assert not _plain_in(words), notice.template


def test_no_log_line_carries_the_subject(personas, login, caplog):
    with caplog.at_level(logging.DEBUG):
        thread = services.thread_start(
            actor=personas.patient_user, patient=personas.patient, subject=SUBJECT, text="Help."
        )
        login(personas.front_desk).get(f"/inbox/{thread.pk}/")
        login(personas.patient_user, api=True).get("/api/message-threads/")
    assert not _plain_in(caplog.text)


def test_the_django_admin_never_shows_the_subject(panic_thread, superuser_admin):
    for url in ["/admin/messaging/messagethread/", f"/admin/messaging/messagethread/{panic_thread.pk}/change/"]:
        response = superuser_admin.get(url)
        assert response.status_code == 200 and not _plain_in(response.content.decode()), url
