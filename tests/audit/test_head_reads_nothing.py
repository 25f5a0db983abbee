"""A HEAD asks for a page's headers, never its content: it answers as the GET would, but writes nothing a GET of the
same page writes (no access-log row for content that was not sent, no other change). An attempt refused through a
HEAD is still logged as refused, as trying to reach a patient is logged whatever the answer carries."""

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import reverse

from apps.notes.models import NoteTemplate
from apps.notes.services import note_create, note_sign
from apps.scheduling.models import CalendarFeed
from apps.scheduling.services import calendar_feed_issue
from tests.audit.watch import log_mark, row_for, rows_since
from tests.notes.conftest import complete_progress_content, past_appointment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(personas):
    session = past_appointment_for(personas.therapist, personas.patient)
    template = NoteTemplate.objects.get(name="Psychodynamic TMS progress note")
    note = note_create(
        actor=personas.therapist, appointment=session, template=template, content=complete_progress_content()
    )
    return note_sign(actor=personas.therapist, note=note, attest=True)


@pytest.mark.parametrize("page", ["note_api", "clinical_chart", "chart"])
def test_a_head_answers_like_the_get_and_logs_no_read(personas, login, signed, page):
    client = login(personas.therapist, api=page == "note_api")
    url = {
        "note_api": f"/api/notes/{signed.pk}/",
        "clinical_chart": f"/notes/patients/{personas.patient.pk}/chart/",
        "chart": f"/patients/{personas.patient.pk}/",
    }[page]
    mark = log_mark()
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert rows_since(mark) == []
    get = client.get(url)
    assert get.status_code == 200 and get["Content-Type"] == head["Content-Type"]
    assert rows_since(mark), "the GET of the same page is logged as a read"


NOTE_TEXT = "Connected the flare to anger she could not express."


def _served(client, method: str, url: str) -> tuple[int, dict, bytes]:
    """The answer as the clinic's own handler gives it to the server (status, headers, body), without the test
    client's dropping of a HEAD's body: what a server that passes a HEAD's body on would send."""
    environ = client._base_environ(PATH_INFO=url, REQUEST_METHOD=method)
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=int(status.split()[0]), headers=dict(headers))

    # As the test client does: the test's transaction keeps its connection, which a finished request would close.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = WSGIHandler()(environ, start_response)
        body = b"".join(result)
        result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started["status"], started["headers"], body


def test_a_head_of_a_session_note_answers_like_the_get_with_no_text_and_no_read(personas, login, signed):
    client = login(personas.therapist)
    url = f"/notes/{signed.pk}/"
    mark = log_mark()

    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    status, headers, body = _served(client, "HEAD", url)
    assert status == 200 and body == b""
    assert NOTE_TEXT not in str(headers)
    assert rows_since(mark) == [], "a HEAD reads no note"

    get = client.get(url)
    assert get.status_code == 200 and get["Content-Type"] == head["Content-Type"] == headers["Content-Type"]
    assert NOTE_TEXT in get.content.decode()
    assert int(headers["Content-Length"]) > 0, "the HEAD says the GET's length, not that the page is empty"
    [read] = rows_since(mark)
    assert (read["action"], read["subject_id"], read["allowed"]) == ("note_view", str(signed.pk), True)


def test_a_head_of_a_session_note_someone_may_not_read_is_refused_as_the_get_is(personas, login, signed):
    client = login(personas.front_desk)
    url = f"/notes/{signed.pk}/"
    assert client.head(url).status_code == client.get(url).status_code


def test_a_refused_head_on_a_chart_is_logged_as_refused(personas, login):
    client = login(personas.other_therapist)
    mark = log_mark()
    assert client.head(f"/patients/{personas.patient.pk}/").status_code == 404
    patient = personas.patient
    assert rows_since(mark) == [
        row_for(personas.other_therapist, "chart_view", patient, patient_id=patient.pk, allowed=False)
    ]


def test_a_head_on_the_access_log_export_reads_nothing(personas, login, signed):
    client = login(personas.admin)
    mark = log_mark()
    head = client.head("/audit/access-log/", {"format": "csv"})
    assert head.status_code == 200 and head["Content-Type"].startswith("text/csv")
    assert b"".join(head.streaming_content) == b"" if head.streaming else head.content == b""
    assert rows_since(mark) == []


def test_a_head_on_a_calendar_feed_does_not_count_as_its_use(personas, client):
    token = calendar_feed_issue(actor=personas.therapist, therapist=personas.therapist)
    url = reverse("scheduling:calendar_feed", args=[token])
    assert client.head(url).status_code == 200
    assert CalendarFeed.objects.get(therapist=personas.therapist).last_used_at is None
    assert client.get(url).status_code == 200
    assert CalendarFeed.objects.get(therapist=personas.therapist).last_used_at is not None
