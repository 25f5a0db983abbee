"""A questionnaire asked before a session is no longer "due" once that session is cancelled."""

import datetime as dt

import pytest

from apps.core import clock
from apps.outcomes import selectors
from apps.outcomes.services import questionnaire_assign
from apps.scheduling.services import appointment_cancel

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(personas, tomorrow_session):
    assignment, _ = questionnaire_assign(
        patient=personas.patient, instrument="phq9", due_at=tomorrow_session.start, source_meeting=tomorrow_session
    )
    return assignment


def test_cancelling_the_session_takes_its_questionnaire_off_the_list(personas, login, asked, tomorrow_session):
    client = login(personas.patient_user)
    assert "before" in client.get("/portal/questionnaires/").content.decode()

    appointment_cancel(appointment=tomorrow_session, actor=personas.front_desk, reason="Patient unwell")

    assert list(selectors.assignments_pending(patient=personas.patient)) == []
    body = client.get("/portal/questionnaires/").content.decode()
    assert f"/portal/questionnaires/{asked.pk}/" not in body
    assert client.get(f"/portal/questionnaires/{asked.pk}/").status_code == 404


def test_a_late_cancellation_counts_too_and_the_front_desk_count_drops(personas, asked, tomorrow_session):
    from apps.scheduling.models import Appointment

    rows = selectors.with_questionnaires_waiting(Appointment.objects.filter(pk=tomorrow_session.pk))
    assert rows.get().questionnaires_waiting == 1
    Appointment.objects.filter(pk=tomorrow_session.pk).update(status="late_cancelled")

    assert rows.all().get().questionnaires_waiting == 0


def test_a_questionnaire_asked_on_its_own_stays_due(personas, asked, tomorrow_session):
    own, _ = questionnaire_assign(
        patient=personas.patient,
        instrument="gad7",
        due_at=clock.now() + dt.timedelta(days=3),
        expires_at=clock.now() + dt.timedelta(days=4),
    )
    appointment_cancel(appointment=tomorrow_session, actor=personas.front_desk, reason="Patient unwell")

    assert list(selectors.assignments_pending(patient=personas.patient)) == [own]


def _two_days_after(session):
    """The patient's next session with the same therapist, two days after `session`."""
    from tests.factories import AppointmentFactory

    return AppointmentFactory(
        therapist=session.therapist,
        patient=session.patient,
        start=session.start + dt.timedelta(days=2),
        end=session.end + dt.timedelta(days=2),
    )


def test_a_cancelled_sessions_questionnaires_are_asked_again_at_the_next_session(personas, tomorrow_session):
    from apps.outcomes.services import questionnaires_send_for_appointment

    questionnaires_send_for_appointment(appointment=tomorrow_session)
    appointment_cancel(appointment=tomorrow_session, actor=personas.front_desk, reason="Patient unwell")
    rebooked = _two_days_after(tomorrow_session)

    asked = questionnaires_send_for_appointment(appointment=rebooked)

    assert {"phq9", "gad7"} <= {a.instrument for a in asked}


def test_an_expired_questionnaire_is_asked_again_but_an_answered_or_open_one_is_not(personas, tomorrow_session):
    from apps.outcomes.models import QuestionnaireAssignment
    from apps.outcomes.services import questionnaire_answer, questionnaires_send_for_appointment

    questionnaires_send_for_appointment(appointment=tomorrow_session)
    phq9 = QuestionnaireAssignment.objects.get(appointment=tomorrow_session, instrument="phq9")
    questionnaire_answer(actor=personas.patient.user, assignment=phq9, answers=[0] * 9)
    QuestionnaireAssignment.objects.filter(instrument="gad7").update(status="expired")
    later = _two_days_after(tomorrow_session)

    asked = questionnaires_send_for_appointment(appointment=later)

    assert {a.instrument for a in asked} & {"phq9", "gad7"} == {"gad7"}
