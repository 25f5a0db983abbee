"""Signing a note of a past session still booked completes the session and charges it in the same request: the
queries that takes are counted exactly (the benchmark measures this request)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AccessLog
from apps.billing.demo import config_seed
from apps.billing.models import Charge
from apps.notes.services import _locked_with_session, note_create
from apps.scheduling.models import AppointmentStatus
from apps.scheduling.services import appointment_lock
from tests.notes.conftest import complete_progress_content, form_data

pytestmark = pytest.mark.django_db

# Sign-in (2: the session, then the user with the verified device and their therapist profile); the note for the
# permission (1); the transaction in and out (2: BEGIN and COMMIT, or a savepoint inside a test); the session, with
# what completing and charging it read, and the note, locked in one statement (1); three writes (note, session,
# transition); the patient's lock, the charge's check, a covering package, the fee configuration (1: read afresh
# inside a transaction, the sliding scale with the fee rows) and the patient's assessment (5); the charge (1); the
# handled reaction (1); the access-log row of the note read back (1). The session locked twice, three savepoints
# (the completion's, the charge's and its insert's: 6) and the signed note and its addenda read again made 30; the
# user and the device read apart, 21; the signer's profile read apart, 20; the fee rows read apart from the scale,
# 19; the session and the note locked apart, 18.
SIGN_QUERIES = 17


def test_signing_completes_and_charges_the_session_in_a_known_number_of_queries(personas, login, past_session, draft):
    note = draft
    api = login(personas.therapist, api=True)

    with CaptureQueriesContext(connection) as signed:
        response = api.post(f"/api/notes/{note.pk}/sign/", {"attest": True}, format="json")

    assert response.status_code == 200, response.content
    past_session.refresh_from_db()
    assert past_session.status == AppointmentStatus.COMPLETED
    assert Charge.objects.filter(appointment=past_session).count() == 1
    assert len(signed.captured_queries) == SIGN_QUERIES, [q["sql"][:120] for q in signed.captured_queries]


def test_the_signing_answer_is_the_note_as_reading_it_again_gives_it(personas, login, past_session, draft):
    """The answer is built from the row the signature wrote, not read again: it must say what a later read says."""
    note = draft
    api = login(personas.therapist, api=True)
    logged = AccessLog.objects.filter(action="note_view", subject_id=note.pk)

    signed = api.post(f"/api/notes/{note.pk}/sign/", {"attest": True}, format="json")

    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "signed"
    assert logged.count() == 1
    assert signed.json() == api.get(f"/api/notes/{note.pk}/").json()


def test_a_refused_signature_completes_and_charges_nothing(personas, login, past_session, progress_template):
    config_seed()
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    api = login(personas.therapist, api=True)

    refused = api.post(f"/api/notes/{note.pk}/sign/", {"attest": True}, format="json")

    assert refused.status_code == 422
    past_session.refresh_from_db()
    assert past_session.status == AppointmentStatus.BOOKED
    assert not Charge.objects.filter(appointment=past_session).exists()


# The page's save and signature, from a browser's session: the API's signature less the answer's access-log row (the
# page redirects), with the draft's save before it (its lock of the session and the note, in one statement, and its
# write) and the savepoint that keeps the saved answers when the signature is refused. The save's and the
# signature's savepoints inside that made 24.
EDITOR_SIGN_QUERIES = 20


def test_saving_and_signing_from_the_page_in_a_known_number_of_queries(personas, login, past_session, draft):
    page = login(personas.therapist)
    signing = {**form_data(complete_progress_content()), "sign": "1", "attest": "on"}

    with CaptureQueriesContext(connection) as signed:
        response = page.post(f"/notes/{draft.pk}/", signing)

    assert response.status_code == 302, response.status_code
    past_session.refresh_from_db()
    assert past_session.status == AppointmentStatus.COMPLETED
    assert len(signed.captured_queries) == EDITOR_SIGN_QUERIES, [q["sql"][:120] for q in signed.captured_queries]


def test_the_session_and_note_locks_run_prepared(past_session, draft):
    """The two locks of many joins that signing and every change of a session's status take: prepared on the
    connection by the first run (or an earlier test's), executed by name after."""

    def held() -> dict[str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, statement FROM pg_prepared_statements")
            return dict(cursor.fetchall())

    for lock, locks in (
        (lambda: appointment_lock(appointment_id=past_session.pk), 'FOR UPDATE OF "scheduling_appointment"'),
        (lambda: _locked_with_session(draft), 'FOR UPDATE OF "scheduling_appointment", "notes_sessionnote"'),
    ):
        with transaction.atomic():
            lock()
        after_first = held()
        assert [text for text in after_first.values() if f"{locks};" in text]
        with transaction.atomic():
            lock()
        assert held() == after_first
    assert _locked_with_session(draft).appointment == appointment_lock(appointment_id=past_session.pk)
