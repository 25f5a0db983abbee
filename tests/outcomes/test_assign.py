"""questionnaire_assign: one questionnaire for one patient, for their own session, a group meeting, or on its own."""

import datetime as dt

import pytest

from apps.core.errors import PermissionDenied, Unprocessable
from apps.outcomes.models import QuestionnaireAssignment
from apps.outcomes.services import questionnaire_assign
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_a_session_gets_one_assignment_per_questionnaire(personas, tomorrow_session):
    first, created = questionnaire_assign(
        patient=personas.patient, instrument="gad7", due_at=tomorrow_session.start, source_meeting=tomorrow_session
    )
    again, created_again = questionnaire_assign(
        patient=personas.patient, instrument="gad7", due_at=tomorrow_session.start, source_meeting=tomorrow_session
    )
    assert (created, created_again, again) == (True, False, first)
    assert (first.due_at, first.expires_at) == (tomorrow_session.start, tomorrow_session.end)


def test_the_treating_therapist_may_ask_and_another_therapist_may_not(personas, tomorrow_session):
    due = tomorrow_session.start
    assignment, _ = questionnaire_assign(
        patient=personas.patient,
        instrument="phq9",
        due_at=due,
        expires_at=due + dt.timedelta(days=3),
        actor=personas.therapist,
    )
    assert assignment.appointment is None and assignment.expires_at == due + dt.timedelta(days=3)
    with pytest.raises(PermissionDenied):
        questionnaire_assign(patient=personas.patient, instrument="phq9", due_at=due, actor=personas.other_therapist)
    assert QuestionnaireAssignment.objects.count() == 1


def test_bad_requests_are_refused(personas, tomorrow_session):
    due = tomorrow_session.start
    with pytest.raises(Unprocessable, match="Unknown questionnaire"):
        questionnaire_assign(patient=personas.patient, instrument="mood_ring", due_at=due)
    with pytest.raises(Unprocessable, match="another patient"):
        questionnaire_assign(
            patient=personas.other_patient, instrument="gad7", due_at=due, source_meeting=tomorrow_session
        )
    with pytest.raises(Unprocessable, match="close before"):
        questionnaire_assign(
            patient=personas.patient, instrument="gad7", due_at=due, expires_at=due - dt.timedelta(hours=1)
        )
    group_meeting = AppointmentFactory(
        therapist=personas.other_therapist, patient=None, start=due, end=tomorrow_session.end
    )
    for patient in (personas.patient, personas.other_patient):
        questionnaire_assign(patient=patient, instrument="gad7", due_at=due, source_meeting=group_meeting)
    assert QuestionnaireAssignment.objects.filter(appointment=group_meeting).count() == 2
    assert not QuestionnaireAssignment.objects.exclude(appointment=group_meeting).exists()
