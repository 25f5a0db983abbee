"""A PHQ-9 self-harm answer reaches every psychotherapist treating the patient, and nobody who could not open it:
not a group's facilitator, not a massage and bodywork provider. With no psychotherapist at all, it waits on the front
desk's home until one is set."""

import datetime as dt

import pytest
import time_machine

from apps.accounts.disciplines import Discipline
from apps.notifications.models import Message
from apps.outcomes.models import QuestionnaireAssignment, QuestionnaireResponse
from apps.outcomes.services import questionnaire_answer
from apps.programs import selectors as program_selectors
from apps.programs.services.meetings import meeting_questionnaires_assign
from apps.programs.services.seats import program_enroll
from tests.factories import AppointmentFactory, TherapistFactory
from tests.programs.factories import scheduled_program

pytestmark = pytest.mark.django_db

SELF_HARM = [0] * 8 + [3]


@pytest.fixture
def group_member(personas, make_patients):
    """A member of a group asking PHQ-9, with no therapist of their own, asked before the first meeting."""
    program = scheduled_program(actor=personas.front_desk, capacity=3, outcome_questionnaires=["phq9"])
    [member] = make_patients(1)
    program_enroll(actor=personas.front_desk, program=program, patient=member)
    first = program_selectors.program_meetings(program=program)[0].appointment
    return member, first


def answer_before(member, first):
    with time_machine.travel(first.start - dt.timedelta(hours=40), tick=False):
        meeting_questionnaires_assign()
        assignment = QuestionnaireAssignment.objects.get(patient=member, instrument="phq9")
        return questionnaire_answer(actor=member.user, assignment=assignment, answers=SELF_HARM)


def told():
    return {m.recipient_user for m in Message.objects.filter(template="measure_flag")}


def test_the_groups_facilitator_is_not_told_and_the_member_waits_on_the_front_desks_home(personas, login, group_member):
    member, first = group_member
    answer_before(member, first)

    assert first.therapist not in told()
    assert told() == set()
    home = login(personas.front_desk).get("/").content.decode()
    assert member.display_name in home
    assert "PHQ" not in home and "harm" not in home


def test_the_members_own_psychotherapist_seen_in_sessions_is_told_and_can_review(personas, login, group_member):
    member, first = group_member
    AppointmentFactory(therapist=personas.therapist, patient=member, status="completed")
    response = answer_before(member, first)

    assert told() == {personas.therapist}
    assert all(user.has_perm("outcomes.review_flag", response) for user in told())
    assert login(personas.therapist).get(f"/notes/patients/{member.pk}/chart/").status_code == 200
    assert member.display_name not in login(personas.front_desk).get("/").content.decode()


def test_a_bodywork_primary_provider_is_not_told_but_the_psychotherapist_is(personas, group_member):
    member, first = group_member
    bodywork = TherapistFactory(profile__discipline=Discipline.BODYWORK)
    member.primary_therapist = bodywork
    member.save(update_fields=["primary_therapist"])
    AppointmentFactory(therapist=personas.therapist, patient=member, status="booked")
    AppointmentFactory(therapist=personas.other_therapist, patient=member, status="cancelled")
    response = answer_before(member, first)

    assert told() == {personas.therapist}
    assert not bodywork.has_perm("outcomes.review_flag", response)
    assert QuestionnaireResponse.objects.get(pk=response.pk).flagged
