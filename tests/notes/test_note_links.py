"""My day and a session's page link straight to the session's note: Write, Continue or View, as the notes rules
allow, for a whole day in one query."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core import clock
from apps.notes.selectors import note_links_for
from apps.notes.services import note_create, note_sign, process_note_create
from apps.scheduling.models import AppointmentStatus
from tests.factories import AppointmentFactory, PatientFactory, TherapistFactory

from .conftest import CANARY, complete_progress_content

pytestmark = pytest.mark.django_db

YESTERDAY = 1


def _session(therapist, patient, *, hour: int, days_ago: int = YESTERDAY, **extra):
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=days_ago), dt.time(hour))
    return AppointmentFactory(
        therapist=therapist, patient=patient, start=start, end=start + dt.timedelta(minutes=45), **extra
    )


def _note(therapist, session, template, *, sign: bool):
    note = note_create(actor=therapist, appointment=session, template=template, content=complete_progress_content())
    return note_sign(actor=therapist, note=note, attest=True) if sign else note


@pytest.fixture
def day(personas, progress_template):
    """Yesterday for the therapist: a session without a note, one with a draft, one signed, a cancelled one and
    a group meeting."""
    therapist, patient = personas.therapist, personas.patient
    unwritten = _session(therapist, patient, hour=9)
    drafted = _session(therapist, patient, hour=10, status=AppointmentStatus.COMPLETED)
    signed = _session(therapist, patient, hour=11)
    cancelled = _session(therapist, patient, hour=12, status=AppointmentStatus.CANCELLED)
    group = _session(therapist, None, hour=14)
    return {
        "unwritten": unwritten,
        "drafted": drafted,
        "draft": _note(therapist, drafted, progress_template, sign=False),
        "signed": signed,
        "signed_note": _note(therapist, signed, progress_template, sign=True),
        "cancelled": cancelled,
        "group": group,
    }


def _my_day(client, days_ago: int = YESTERDAY):
    day = clock.local_now().date() - dt.timedelta(days=days_ago)
    return client.get(f"/schedule/my-day/?date={day.isoformat()}")


def test_my_day_links_each_session_to_its_note(personas, login, day):
    page = _my_day(login(personas.therapist)).content.decode()
    assert f'href="/notes/sessions/{day["unwritten"].pk}/" class="button">Write note' in page
    assert f'href="/notes/{day["draft"].pk}/" class="button secondary">Continue note' in page
    assert f'href="/notes/{day["signed_note"].pk}/">View note' in page
    assert f"/notes/sessions/{day['cancelled'].pk}/" not in page
    assert f"/notes/sessions/{day['group'].pk}/" not in page
    assert page.count("Write note") == 1 and page.count("Continue note") == 1 and page.count("View note") == 1


def test_sessions_still_to_come_have_no_note_link_yet(personas, login):
    upcoming = _session(personas.therapist, personas.patient, hour=10, days_ago=-1)
    links = note_links_for(user=personas.therapist, appointments=[upcoming])
    assert links == {}
    assert "Write note" not in _my_day(login(personas.therapist), days_ago=-1).content.decode()


def test_a_completed_sessions_page_links_its_note(personas, login, day):
    client = login(personas.therapist)
    for session, link in [
        (day["unwritten"], f'/notes/sessions/{day["unwritten"].pk}/" class="button">Write note'),
        (day["drafted"], f'/notes/{day["draft"].pk}/" class="button secondary">Continue note'),
        (day["signed"], f'/notes/{day["signed_note"].pk}/">View note'),
    ]:
        assert link in client.get(f"/schedule/appointments/{session.pk}/").content.decode()


@pytest.mark.parametrize("persona", ["front_desk", "billing", "admin"])
def test_staff_who_may_not_read_notes_see_no_note_link_on_the_session_page(personas, login, day, persona):
    client = login(getattr(personas, persona))
    for key in ("unwritten", "drafted", "signed"):
        page = client.get(f"/schedule/appointments/{day[key].pk}/").content.decode()
        assert "Session note" not in page and "/notes/" not in page


def test_my_day_stays_closed_to_everyone_but_therapists(personas, login):
    for persona in ("front_desk", "billing", "admin", "patient_user"):
        assert _my_day(login(getattr(personas, persona))).status_code in (403, 404)


def test_the_links_follow_the_notes_rules_for_every_persona(personas, progress_template):
    colleague = TherapistFactory()  # also treats the patient
    _session(colleague, personas.patient, hour=8, days_ago=30)
    draft_session = _session(personas.therapist, personas.patient, hour=10)
    signed_session = _session(personas.therapist, personas.patient, hour=11)
    notes = {
        draft_session.pk: _note(personas.therapist, draft_session, progress_template, sign=False),
        signed_session.pk: _note(personas.therapist, signed_session, progress_template, sign=True),
    }
    people = [personas.therapist, colleague, personas.other_therapist, personas.front_desk, personas.billing]
    people += [personas.admin, personas.patient_user]
    for user in people:
        links = note_links_for(user=user, appointments=[draft_session, signed_session])
        for appointment_id, note in notes.items():
            assert (appointment_id in links) == user.has_perm("notes.view_note", note), (user, note.status)
    assert note_links_for(user=colleague, appointments=[signed_session])[signed_session.pk].label == "View note"


def test_a_process_note_is_never_linked_or_shown(personas, login, day):
    process_note_create(actor=personas.therapist, patient=personas.patient, appointment=day["unwritten"], text=CANARY)
    page = _my_day(login(personas.therapist)).content.decode()
    assert CANARY not in page and "/process-note/" not in page
    assert "Write note" in page  # a process note is not the session note


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert _my_day(client).status_code == 200
    return len(captured.captured_queries)


def test_my_day_reads_every_notes_state_in_a_constant_number_of_queries(
    personas, login, day, progress_template, django_assert_max_num_queries
):
    client = login(personas.therapist)
    few = _queries(client)
    for hour in (15, 16, 17, 18, 19, 20):
        patient = PatientFactory(primary_therapist=personas.therapist)
        session = _session(personas.therapist, patient, hour=hour)
        if hour % 2:
            _note(personas.therapist, session, progress_template, sign=hour % 3 == 0)
    assert _queries(client) == few
    with django_assert_max_num_queries(few):
        page = _my_day(client).content.decode()
    assert page.count("View note") + page.count("Continue note") + page.count("Write note") == 9
