"""/api/message-threads/: each persona and verb, bad input, and no text where it does not belong."""

import pytest

from apps.audit.models import AccessLog
from apps.messaging import services
from apps.messaging.models import Message, MessageThread

from .conftest import upload

pytestmark = pytest.mark.django_db

URL = "/api/message-threads/"


def test_a_patient_lists_only_their_threads(clinic_thread, personas, login):
    services.thread_start(actor=personas.other_patient_user, patient=personas.other_patient, subject="No", text="x")
    response = login(personas.patient_user, api=True).get(URL)
    assert response.status_code == 200
    assert [t["subject"] for t in response.json()["results"]] == ["Parking"]


def test_a_patient_starts_a_thread_as_json(personas, login):
    response = login(personas.patient_user, api=True).post(
        URL, {"subject": "Receipt", "text": "Could I have one?"}, format="json"
    )
    assert response.status_code == 201 and response.json()["with_clinic"] is True
    assert MessageThread.objects.get().patient == personas.patient


def test_a_patient_starts_a_thread_with_a_file(personas, login):
    response = login(personas.patient_user, api=True).post(
        URL, {"subject": "Form", "text": "Attached", "attachments": [upload()]}, format="multipart"
    )
    assert response.status_code == 201
    assert Message.objects.get().attachments.count() == 1


def test_empty_text_is_a_400(personas, login):
    response = login(personas.patient_user, api=True).post(URL, {"subject": "Hi", "text": "  "}, format="json")
    assert response.status_code == 400 and not MessageThread.objects.exists()


def test_a_wrong_file_is_a_400_stating_the_limit_and_writes_nothing(clinic_thread, personas, login):
    response = login(personas.patient_user, api=True).post(
        f"{URL}{clinic_thread.pk}/messages/",
        {"text": "Here", "attachments": [upload("x.png", b"GIF89a not a png")]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "PDF, PNG or JPEG files up to 10 MB" in response.json()["error"]["message"]
    assert clinic_thread.messages.count() == 1


def test_writing_to_a_therapist_without_the_setting_is_a_403(personas, login):
    response = login(personas.patient_user, api=True).post(
        URL, {"subject": "Hi", "text": "Hi", "therapist": personas.therapist.pk}, format="json"
    )
    assert response.status_code == 403 and not MessageThread.objects.exists()


def test_a_therapist_without_the_setting_is_refused_the_api(personas, login):
    assert login(personas.therapist, api=True).get(URL).status_code == 403


def test_a_therapist_who_takes_messages_sees_their_own_threads(therapist_messages_on, login):
    personas = therapist_messages_on
    client = login(personas.patient_user, api=True)
    created = client.post(URL, {"subject": "Hi", "text": "Hi", "therapist": personas.therapist.pk}, format="json")
    assert created.status_code == 201
    listed = login(personas.therapist, api=True).get(URL).json()["results"]
    assert [t["id"] for t in listed] == [created.json()["id"]] and listed[0]["unread"] == 1
    assert login(personas.front_desk, api=True).get(URL).json()["results"] == []


@pytest.mark.parametrize("persona", ["billing"])
def test_other_staff_are_refused(personas, login, persona):
    assert login(getattr(personas, persona), api=True).get(URL).status_code == 403


def test_messages_of_someone_elses_thread_are_a_404(clinic_thread, personas, login):
    client = login(personas.other_patient_user, api=True)
    assert client.get(f"{URL}{clinic_thread.pk}/messages/").status_code == 404
    assert client.post(f"{URL}{clinic_thread.pk}/messages/", {"text": "x"}, format="json").status_code == 404
    assert client.post(f"{URL}{clinic_thread.pk}/read/").status_code == 404


def test_front_desk_reads_replies_and_marks_read(clinic_thread, personas, login):
    client = login(personas.front_desk, api=True)
    listed = client.get(f"{URL}{clinic_thread.pk}/messages/")
    assert listed.status_code == 200 and listed.json()[0]["text"] == "Where do I park?"
    assert AccessLog.objects.filter(action="message_thread_view", actor=personas.front_desk).count() == 1
    assert client.post(f"{URL}{clinic_thread.pk}/read/").json() == {"marked": 1}
    reply = client.post(f"{URL}{clinic_thread.pk}/messages/", {"text": "Behind the building."}, format="json")
    assert reply.status_code == 201 and reply.json()["from_patient"] is False
    patient_view = login(personas.patient_user, api=True).get(f"{URL}{clinic_thread.pk}/messages/").json()
    assert patient_view[0]["read_at"] is not None and patient_view[1]["text"] == "Behind the building."


def test_only_staff_close_and_a_closed_thread_refuses_replies(clinic_thread, personas, login):
    patient = login(personas.patient_user, api=True)
    assert patient.post(f"{URL}{clinic_thread.pk}/close/").status_code == 403
    closed = login(personas.front_desk, api=True).post(f"{URL}{clinic_thread.pk}/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert patient.post(f"{URL}{clinic_thread.pk}/messages/", {"text": "x"}, format="json").status_code == 409


def test_front_desk_writes_first_to_a_patient(personas, login):
    client = login(personas.front_desk, api=True)
    response = client.post(URL, {"subject": "Forms", "text": "Please", "patient": personas.patient.pk}, format="json")
    assert response.status_code == 201 and response.json()["patient"] == personas.patient.pk
    assert client.post(URL, {"subject": "Forms", "text": "Please", "patient": 0}, format="json").status_code == 404
