"""The portal's "Your sessions" lists the patient's group meetings too, marked as the group's meeting."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.programs import member_meetings
from apps.programs.services.seats import enrollment_withdraw, program_enroll

from .factories import scheduled_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(personas):
    program = scheduled_program(actor=personas.admin, capacity=2, meeting_count=3, title="TMS recovery group")
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    return program


def test_your_sessions_lists_each_coming_group_meeting(personas, login, group):
    body = login(personas.patient_user).get("/portal/sessions/").content.decode()

    assert body.count("Group meeting</span> TMS recovery group") == 3
    assert "meeting 1 of 3" in body and "meeting 3 of 3" in body
    assert "You have no upcoming sessions" not in body


def test_a_cancelled_meeting_and_other_peoples_groups_are_not_listed(personas, login, group):
    first = group.meetings.order_by("number").first().appointment
    type(first).objects.filter(pk=first.pk).update(status="cancelled")

    assert len(member_meetings.member_meetings_upcoming(patient=personas.patient)) == 2
    other = login(personas.other_patient_user).get("/portal/sessions/").content.decode()
    assert "Group meeting" not in other


def test_after_withdrawing_the_meetings_are_gone(personas, login, group):
    enrollment = group.enrollments.get(patient=personas.patient)
    enrollment_withdraw(actor=personas.patient_user, enrollment=enrollment)

    body = login(personas.patient_user).get("/portal/sessions/").content.decode()
    assert "Group meeting" not in body
    assert "You have no upcoming sessions" in body


def test_the_page_costs_the_same_queries_with_more_meetings(personas, login, group, django_assert_max_num_queries):
    client = login(personas.patient_user)
    client.get("/portal/sessions/")
    with CaptureQueriesContext(connection) as three_meetings:
        client.get("/portal/sessions/")
    more = scheduled_program(actor=personas.admin, capacity=2, meeting_count=8, title="Lecture series")
    program_enroll(actor=personas.front_desk, program=more, patient=personas.patient)

    with django_assert_max_num_queries(len(three_meetings.captured_queries)):
        assert client.get("/portal/sessions/").content.decode().count("Group meeting</span>") == 11
