"""A therapist's staff home: their own day (My day's rows), the notes, plans and co-signatures waiting on them, their
unread conversations and the flagged answers of patients they treat. Sessions are placed relative to the real
instant the test starts, so the tests hold at any hour."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core import clock
from apps.messaging import services as messaging
from apps.notes.selectors import sessions_needing_notes
from apps.outcomes import services as outcomes
from apps.outcomes.models import QuestionnaireAssignment
from apps.scheduling.models import AppointmentStatus
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock_held():
    """ "Today" cannot turn into tomorrow half-way through a test that happens to run at midnight."""
    with time_machine.travel(clock.now(), tick=False):
        yield


def _at(start: dt.datetime, **fields):
    return AppointmentFactory(start=start, end=start + dt.timedelta(minutes=45), **fields)


def _today_at(hour: int, **fields):
    return _at(clock.local_datetime(clock.local_now().date(), dt.time(hour)), **fields)


def _home(login, user):
    response = login(user).get("/")
    assert response.status_code == 200
    return response


def _flag(patient, therapist):
    """A PHQ-9 answered with item 9 above zero: flagged for a clinician's review."""
    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=1), dt.time(11))
    outcomes.questionnaires_send_for_appointment(appointment=_at(start, therapist=therapist, patient=patient))
    assignment = QuestionnaireAssignment.objects.get(patient=patient, instrument="phq9")
    outcomes.questionnaire_answer(actor=patient.user, assignment=assignment, answers=[1, 1, 1, 1, 1, 1, 1, 1, 2])


def test_a_therapist_sees_their_own_sessions_today_with_the_note_link(personas, login):
    mine = _today_at(10, therapist=personas.therapist, patient=personas.patient)
    _today_at(10, therapist=personas.other_therapist, patient=personas.other_patient)
    _at(mine.start + dt.timedelta(days=1), therapist=personas.therapist, patient=personas.patient)
    response = _home(login, personas.therapist)
    my_day = response.context["my_day"]
    assert [a for a, _ in my_day.rows] == [mine]
    body = response.content.decode()
    assert personas.patient.display_name in body
    assert personas.other_patient.display_name not in body
    assert response.context["day"] is None and "Arrivals today" not in body


def test_the_home_and_my_day_show_the_same_rows(personas, login):
    _today_at(9, therapist=personas.therapist, patient=personas.patient)
    _today_at(15, therapist=personas.therapist, patient=PatientFactory(), status=AppointmentStatus.CANCELLED)
    client = login(personas.therapist)
    home = client.get("/").context["my_day"]
    my_day = client.get("/schedule/my-day/").context
    assert home.rows == my_day["rows"] and home.workday == my_day["workday"]


def test_the_note_counts_are_the_unsigned_pages(personas, login):
    now = clock.now()
    _at(now - dt.timedelta(days=5), therapist=personas.therapist, patient=personas.patient)  # overdue
    _at(now - dt.timedelta(hours=3), therapist=personas.therapist, patient=personas.patient)  # within the grace
    _at(now - dt.timedelta(days=5), therapist=personas.other_therapist, patient=personas.other_patient)
    client = login(personas.therapist)
    notes = client.get("/").context["my_day"].notes
    unsigned = client.get("/notes/unsigned/").context
    assert (notes.unsigned, notes.overdue) == (2, 1)
    assert (len(unsigned["rows"]), unsigned["overdue_count"]) == (notes.unsigned, notes.overdue)
    assert notes.unsigned == sessions_needing_notes(therapist=personas.therapist).count()
    body = client.get("/").content.decode()
    assert "2 sessions without a signed note" in body
    assert (
        'href="/notes/unsigned/#unsigned-h"' in body
        and 'id="unsigned-h"' in client.get("/notes/unsigned/").content.decode()
    )


def test_flagged_answers_of_the_therapists_patients_are_listed(personas, login):
    _flag(personas.patient, personas.therapist)
    _flag(personas.other_patient, personas.other_therapist)
    response = _home(login, personas.therapist)
    assert response.context["my_day"].answers_to_review == [personas.patient]
    body = response.content.decode()
    assert "Answers to review" in body and f"/notes/patients/{personas.patient.pk}/chart/" in body
    assert personas.other_patient.display_name not in body
    assert _home(login, personas.other_therapist).context["my_day"].answers_to_review == [personas.other_patient]


def test_a_bodywork_provider_is_not_asked_to_review_answers(personas, login, bodywork_provider):
    _flag(personas.patient, personas.therapist)
    response = _home(login, bodywork_provider)
    assert response.context["my_day"].answers_to_review == []
    assert "Answers to review" not in response.content.decode()


def test_unread_conversations_show_for_a_therapist_who_takes_messages(personas, login):
    assert _home(login, personas.therapist).context["my_day"].unread_threads is None
    from apps.core.models import ClinicSettings

    ClinicSettings.objects.update_or_create(id=1, defaults={"patient_messages_to_therapists": True})
    personas.therapist.therapist_profile.accepts_patient_messages = True
    personas.therapist.therapist_profile.save()
    messaging.thread_start(
        actor=personas.patient_user,
        patient=personas.patient,
        therapist=personas.therapist,
        subject="Homework",
        text="A question about the reading.",
    )
    response = _home(login, personas.therapist)
    assert response.context["my_day"].unread_threads == 1
    assert "1 unread conversation" in response.content.decode()


def test_the_therapist_home_queries_do_not_grow_with_rows(personas, login, django_assert_max_num_queries):
    client = login(personas.therapist)
    _today_at(9, therapist=personas.therapist, patient=personas.patient)
    _flag(personas.patient, personas.therapist)
    with CaptureQueriesContext(connection):
        client.get("/")  # warms the per-user caches
    with CaptureQueriesContext(connection) as few:
        assert client.get("/").status_code == 200
    now = clock.now()
    for hour in (10, 11, 12, 13, 14):
        patient = PatientFactory(primary_therapist=personas.therapist)
        _today_at(hour, therapist=personas.therapist, patient=patient)
        _at(now - dt.timedelta(days=4, hours=hour), therapist=personas.therapist, patient=patient)
    with django_assert_max_num_queries(len(few)):
        response = client.get("/")
    assert len(response.context["my_day"].rows) == 6
