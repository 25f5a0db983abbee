"""Signing a note of a past session still booked completes the session and charges it in the same request: the
queries that takes are bounded (the benchmark measures this request)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.billing.demo import config_seed
from apps.billing.models import Charge
from apps.notes.services import note_create
from apps.scheduling.models import AppointmentStatus

from .conftest import complete_progress_content

pytestmark = pytest.mark.django_db

# Sign-in (3); the note and its permission (2); the session, the note and the session with its references locked
# (3); five writes (note, session, transition, charge, handled reaction); the charge's check, the patient's lock, a
# covering package and the price (6, two of them the fee configuration, kept after a first read); four savepoints
# in and out (8; outside a test the outermost is the transaction); the note read back with its addenda and its
# access-log row (3). Reading the session's status before its lock and checking for the charge twice made 32.
SIGN_QUERIES = 30


def test_signing_completes_and_charges_the_session_in_a_bounded_number_of_queries(
    personas, login, past_session, progress_template
):
    config_seed()
    note = note_create(
        actor=personas.therapist,
        appointment=past_session,
        template=progress_template,
        content=complete_progress_content(),
    )
    api = login(personas.therapist, api=True)

    with CaptureQueriesContext(connection) as signed:
        response = api.post(f"/api/notes/{note.pk}/sign/", {"attest": True}, format="json")

    assert response.status_code == 200, response.content
    past_session.refresh_from_db()
    assert past_session.status == AppointmentStatus.COMPLETED
    assert Charge.objects.filter(appointment=past_session).count() == 1
    assert len(signed.captured_queries) <= SIGN_QUERIES, [q["sql"][:120] for q in signed.captured_queries]
