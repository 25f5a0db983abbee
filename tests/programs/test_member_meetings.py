"""Booking an individual session over the patient's own group meeting is allowed, with a warning first."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core import clock
from apps.core.when import clock_text
from apps.programs import selectors
from apps.programs.services.seats import program_enroll
from tests.factories import ServiceTypeFactory

from .factories import scheduled_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(personas):
    program = scheduled_program(actor=personas.admin, capacity=1, meeting_count=3, title="TMS recovery group")
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    return program


def _first_meeting(program):
    return program.meetings.select_related("appointment").order_by("number").first().appointment


def _booking(personas, start, **extra):
    local = timezone.localtime(start, clock.clinic_tz())
    return {
        "therapist": personas.therapist.pk,
        "patient": personas.patient.pk,
        "service_type": ServiceTypeFactory(code="90834", duration_minutes=45).pk,
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "is_telehealth": "on",
        "override_reason": "Evening session agreed with the therapist",
        **extra,
    }


def test_only_the_members_own_overlapping_meetings_count(personas, group):
    meeting = _first_meeting(group)
    during = [(meeting.start, meeting.end)]
    assert [m.appointment for m in selectors.member_meetings_during(patient=personas.patient, ranges=during)] == [
        meeting
    ]
    # Back to back is not an overlap; someone on the waitlist is not a member.
    after = [(meeting.end, meeting.end + (meeting.end - meeting.start))]
    assert selectors.member_meetings_during(patient=personas.patient, ranges=after) == []
    program_enroll(actor=personas.front_desk, program=group, patient=personas.other_patient)
    assert selectors.member_meetings_during(patient=personas.other_patient, ranges=during) == []


def test_the_front_desk_is_warned_and_the_session_is_still_booked(personas, group, login):
    meeting = _first_meeting(group)
    response = login(personas.front_desk).post(
        reverse("scheduling:appointment_new"), _booking(personas, meeting.start), follow=True
    )
    html = response.content.decode()
    assert "Session booked." in html
    assert "Pat Ient is in TMS recovery group, which meets at the same time" in html
    there = timezone.localtime(meeting.start, meeting.zone)
    assert f"({there:%a %b} {there.day}, {clock_text(there)})" in html, "the meeting's time as every page says it"


def test_the_series_preview_marks_dates_that_overlap_the_group(personas, group, login):
    meeting = _first_meeting(group)
    local = timezone.localtime(meeting.start, clock.clinic_tz())
    data = _booking(personas, meeting.start)
    data |= {
        "first_date": data.pop("date"),
        "local_start_time": data.pop("time"),
        "interval_weeks": "1",
        "ends": "count",
        "occurrence_count": "4",
    }
    response = login(personas.front_desk).post(reverse("scheduling:series_preview"), data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    # The group meets three weeks running at this hour; the fourth week is clear.
    assert html.count("Overlaps TMS recovery group") == 3, local
    assert "meeting 3" in html
