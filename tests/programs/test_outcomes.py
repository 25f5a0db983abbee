"""Outcome measures for a group: members are asked before the first and the last meeting, and facilitators see the
group's before/after from exactly those answers."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from apps.core.errors import Unprocessable
from apps.notifications.models import Message
from apps.outcomes.models import QuestionnaireAssignment, QuestionnaireResponse
from apps.outcomes.services import questionnaire_answer, questionnaire_assign
from apps.programs import selectors
from apps.programs.models import Enrollment, EnrollmentStatus
from apps.programs.services.meetings import FOLLOW_UP_ANSWER_DAYS, meeting_questionnaires_assign
from apps.programs.services.seats import enrollment_accept_offer, enrollment_withdraw, program_enroll
from apps.programs.services.setup import program_capacity_set
from apps.programs.tasks import assign_outcome_questionnaires
from tests.locking import at_once

from .factories import scheduled_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(personas, make_patients):
    """Four weekly meetings asking pain and PHQ-9; three members, one of whom withdraws, and one person waiting."""
    program = scheduled_program(actor=personas.front_desk, capacity=3, outcome_questionnaires=["pain_nrs", "phq9"])
    people = make_patients(4)
    enrollments = [program_enroll(actor=personas.front_desk, program=program, patient=p) for p in people]
    enrollment_withdraw(actor=personas.front_desk, enrollment=enrollments[2], reason="Moved away")
    # The withdrawn seat went to the person waiting as an offer, which stays unanswered.
    assert Enrollment.objects.get(pk=enrollments[3].pk).status == EnrollmentStatus.OFFERED
    meetings = [m.appointment for m in selectors.program_meetings(program=program)]
    return program, people, meetings


def before(appointment, **delta):
    return time_machine.travel(appointment.start - dt.timedelta(**delta), tick=False)


def test_members_are_asked_once_before_the_first_and_the_last_meeting(group):
    program, people, meetings = group
    first, last = meetings[0], meetings[-1]
    assert meeting_questionnaires_assign() == 0  # two weeks ahead: too early
    with before(first, hours=47):
        assert assign_outcome_questionnaires() == 4  # two members x two questionnaires
        assert meeting_questionnaires_assign() == 0
    asked = QuestionnaireAssignment.objects.filter(appointment=first)
    assert {a.patient for a in asked} == set(people[:2])
    assert {(a.due_at, a.expires_at) for a in asked} == {(first.start, first.end)}
    notices = Message.objects.filter(template="questionnaire_due").order_by("patient_id")
    assert [m.patient for m in notices] == people[:2]
    assert notices[0].context["count"] == 2 and notices[0].context["portal_url"].endswith("/portal/questionnaires/")
    with before(meetings[1], hours=1):
        assert meeting_questionnaires_assign() == 0  # middle meetings ask nothing
    with before(last, hours=2):
        assert meeting_questionnaires_assign() == 4
    follow_up = QuestionnaireAssignment.objects.filter(appointment=last)
    assert {a.expires_at for a in follow_up} == {last.end + FOLLOW_UP_ANSWER_DAYS}
    assert QuestionnaireAssignment.objects.count() == 8
    assert Message.objects.filter(template="questionnaire_due").count() == 4


def test_withdrawn_members_and_people_holding_an_offer_are_not_asked_and_late_members_are(
    personas, group, make_patients
):
    program, people, meetings = group
    with before(meetings[0], hours=40):
        assert meeting_questionnaires_assign() == 4
    assert not QuestionnaireAssignment.objects.filter(patient__in=people[2:]).exists()
    [late] = make_patients(1)
    with before(meetings[0], hours=30):
        program_capacity_set(actor=personas.front_desk, program=program, capacity=4)
        program_enroll(actor=personas.front_desk, program=program, patient=late)
        assert meeting_questionnaires_assign() == 2
    assert QuestionnaireAssignment.objects.filter(patient=late, appointment=meetings[0]).count() == 2
    assert Message.objects.filter(template="questionnaire_due").count() == 3


def test_a_cancelled_first_meeting_asks_nothing(personas, group):
    from apps.scheduling.services import appointment_cancel

    _, _, meetings = group
    appointment_cancel(appointment=meetings[0], actor=personas.front_desk, reason="Room flooded")
    with before(meetings[0], hours=3):
        assert meeting_questionnaires_assign() == 0


def test_questionnaires_waiting_for_answers_move_with_a_rescheduled_meeting(personas, group):
    from apps.scheduling.services import appointment_reschedule

    _, people, meetings = group
    first = meetings[0]
    with before(first, hours=47):
        meeting_questionnaires_assign()
        [moved] = appointment_reschedule(
            appointment=first, actor=personas.front_desk, start=first.start + dt.timedelta(hours=1)
        )
        assert meeting_questionnaires_assign() == 0
    assert {(a.due_at, a.expires_at) for a in QuestionnaireAssignment.objects.all()} == {(moved.start, moved.end)}
    assert Message.objects.filter(template="questionnaire_due").count() == 2


def answer(patient, meeting, score, *, when):
    assignment = QuestionnaireAssignment.objects.get(patient=patient, appointment=meeting, instrument="pain_nrs")
    with time_machine.travel(when, tick=False):
        questionnaire_answer(actor=patient.user, assignment=assignment, answers=[score])


@pytest.fixture
def measured(group):
    """Member 0 answers pain before (7) and after (3); member 1 before (6) and after (4) also answers an unrelated
    pain rating later; member 3, who took the seat the withdrawn member left, before (5) and after (2)."""
    program, people, meetings = group
    first, last = meetings[0], meetings[-1]
    enrollment_accept_offer(actor=people[3].user, enrollment=Enrollment.objects.get(patient=people[3]))
    with before(first, hours=24):
        meeting_questionnaires_assign()
    answer(people[0], first, 7, when=first.start - dt.timedelta(hours=3))
    answer(people[1], first, 6, when=first.start + dt.timedelta(minutes=10))
    answer(people[3], first, 5, when=first.start - dt.timedelta(hours=2))
    with before(last, hours=24):
        meeting_questionnaires_assign()
    answer(people[0], last, 3, when=last.start - dt.timedelta(hours=1))
    answer(people[1], last, 4, when=last.end + dt.timedelta(days=2))
    answer(people[3], last, 2, when=last.start - dt.timedelta(hours=2))
    QuestionnaireResponse.objects.create(
        patient=people[1],
        instrument="pain_nrs",
        answers=[10],
        score=10,
        severity="severe",
        submitted_at=last.end + dt.timedelta(days=3),  # the latest pain rating, but not asked for by the program
    )
    return program


def test_the_group_change_comes_from_the_answers_to_the_first_and_last_meeting(measured):
    pain, phq9 = selectors.program_outcomes(program=measured)
    assert (pain["answered_before"], pain["answered_after"], pain["paired"]) == (3, 3, 3)
    assert (pain["mean_before"], pain["mean_after"], pain["change"]) == (
        Decimal("6.0"),
        Decimal("3.0"),
        Decimal("-3.0"),
    )
    assert (phq9["code"], phq9["paired"], phq9["change"]) == ("phq9", 0, None)


def test_with_fewer_than_three_members_answering_both_the_averages_are_not_shown(personas, login, group):
    """One member's "average" is their own scores, and two members' tell either's to whoever knows the other's: the
    readers of the group's outcomes, an admin among them, see how many answered, not their scores."""
    program, people, meetings = group
    first, last = meetings[0], meetings[-1]
    with before(first, hours=24):
        meeting_questionnaires_assign()
    answer(people[0], first, 9, when=first.start - dt.timedelta(hours=3))
    with before(last, hours=24):
        meeting_questionnaires_assign()
    answer(people[0], last, 2, when=last.start - dt.timedelta(hours=1))
    pain = selectors.program_outcomes(program=program)[0]
    assert (pain["answered_before"], pain["answered_after"], pain["paired"]) == (1, 1, 1)
    assert (pain["mean_before"], pain["mean_after"], pain["change"]) == (None, None, None)
    page = login(personas.admin).get(f"/programs/{program.pk}/").content.decode()
    assert "Group outcomes" in page and "Shown once 3 members answered both" in page
    assert "<td>9.0</td>" not in page and "<td>2.0</td>" not in page and "-7.0" not in page


def test_an_answer_after_the_baseline_closed_is_refused_and_not_counted(group):
    from apps.core.errors import InvalidTransition

    program, people, meetings = group
    with before(meetings[0], hours=24):
        meeting_questionnaires_assign()
    with pytest.raises(InvalidTransition, match="closed"):
        answer(people[0], meetings[0], 5, when=meetings[0].end + dt.timedelta(minutes=1))
    assert selectors.program_outcomes(program=program)[0]["answered_before"] == 0


def test_the_outcomes_are_read_in_a_fixed_number_of_queries(measured, django_assert_num_queries):
    with django_assert_num_queries(3):
        selectors.program_outcomes(program=measured)


def test_facilitators_see_the_group_outcomes_and_the_front_desk_does_not(personas, login, measured):
    facilitator = login(measured.lead_facilitator).get(f"/programs/{measured.pk}/").content.decode()
    assert "Group outcomes" in facilitator and "-3.0" in facilitator
    front_desk = login(personas.front_desk).get(f"/programs/{measured.pk}/").content.decode()
    assert "Group outcomes" not in front_desk


def test_members_see_and_answer_only_their_own_questionnaires(login, group):
    _, people, meetings = group
    with before(meetings[0], hours=24):
        meeting_questionnaires_assign()
        mine = login(people[0].user, api=True).get("/api/questionnaire-assignments/").json()
        rows = mine["results"] if isinstance(mine, dict) else mine
        own = set(QuestionnaireAssignment.objects.filter(patient=people[0]).values_list("pk", flat=True))
        assert {row["id"] for row in rows} == own and len(own) == 2
        theirs = QuestionnaireAssignment.objects.filter(patient=people[1]).first()
        response = login(people[0].user, api=True).post(
            f"/api/questionnaire-assignments/{theirs.pk}/answer/", {"answers": [2]}, format="json"
        )
        assert response.status_code == 404
        assert login(people[0].user).get(f"/portal/questionnaires/{theirs.pk}/").status_code == 404
        assert login(people[1].user).get(f"/portal/questionnaires/{theirs.pk}/").status_code == 200
    assert not QuestionnaireResponse.objects.exists()


def test_a_group_meeting_holds_one_assignment_per_member_and_questionnaire(group):
    _, people, meetings = group
    due = meetings[0].start
    first, created = questionnaire_assign(patient=people[0], instrument="gad7", due_at=due, source_meeting=meetings[0])
    again, created_again = questionnaire_assign(
        patient=people[0], instrument="gad7", due_at=due, source_meeting=meetings[0]
    )
    other, other_created = questionnaire_assign(
        patient=people[1], instrument="gad7", due_at=due, source_meeting=meetings[0]
    )
    assert (created, created_again, other_created) == (True, False, True)
    assert again == first != other


def test_an_unknown_questionnaire_is_refused(personas):
    with pytest.raises(Unprocessable, match="Unknown questionnaires"):
        scheduled_program(actor=personas.front_desk, outcome_questionnaires=["mood_ring"])


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_ask_each_member_once(group):
    _, _, meetings = group
    with before(meetings[0], hours=24):
        outcomes = at_once(meeting_questionnaires_assign, meeting_questionnaires_assign)
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert sum(outcomes) == 4  # every assignment made by exactly one of them
    assert QuestionnaireAssignment.objects.count() == 4
    assert Message.objects.filter(template="questionnaire_due").count() == 2
