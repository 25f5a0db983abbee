"""A group program held at another office meets at its wall-clock time there, and its reminders say so, with the
office's address and, for a member living elsewhere, their own time."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.core import clock
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from apps.programs import selectors
from apps.programs.models import Enrollment
from apps.programs.services.seats import enrollment_withdraw, program_enroll
from apps.programs.tasks import remind_meeting_members
from apps.scheduling.models import Location, Room, WorkingHours
from tests.programs.factories import facilitator_with_evening_hours, scheduled_program

pytestmark = pytest.mark.django_db

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def west_room():
    west = Location.objects.create(
        name="West office", time_zone="America/Los_Angeles", address_line1="12 Palm Row", city="Pasadena"
    )
    return Room.objects.create(location=west, name="Pacific", capacity=12)


def test_a_program_at_another_office_meets_at_its_local_time_and_its_reminders_say_so(personas, west_room):
    first_day = clock.local_now().date() + dt.timedelta(days=14)  # the factory's first meeting
    facilitator = facilitator_with_evening_hours(first_day.weekday(), location=west_room.location)
    program = scheduled_program(actor=personas.front_desk, room=west_room, lead_facilitator=facilitator)
    meetings = [m.appointment for m in selectors.program_meetings(program=program)]
    assert {m.start.astimezone(LOS_ANGELES).time() for m in meetings} == {dt.time(18, 0)}
    assert {m.location_id for m in meetings} == {west_room.location_id}

    patient = personas.patient
    type(patient).objects.filter(pk=patient.pk).update(time_zone="America/Chicago")
    program_enroll(actor=personas.front_desk, program=program, patient=patient)
    first = meetings[0]
    with time_machine.travel(first.start - dt.timedelta(hours=47), tick=False):
        assert remind_meeting_members() == 1
    message = Message.objects.get(template="group_meeting_reminder", patient=patient)
    body = message_render(template=message.template, context=message.context, channel="email").text
    there, chicago = first.start.astimezone(LOS_ANGELES), first.start.astimezone(ZoneInfo("America/Chicago"))
    assert f"{there:%-I:%M %p} Los Angeles time ({chicago:%-I:%M %p} your time)" in body
    assert "West office" in body and "Pacific" in body and "12 Palm Row" in body


def test_a_video_program_meets_on_the_clock_of_the_office_its_lead_works_at_that_weekday(personas, west_room):
    """The lead keeps most of the week at the main office but this weekday at the West office: the video group's
    18:00 is West office time, as a session booked for them that day would be."""
    first_day = clock.local_now().date() + dt.timedelta(days=14)  # the factory's first meeting
    facilitator = facilitator_with_evening_hours(first_day.weekday(), location=west_room.location)
    for other in {0, 1, 2, 3, 4} - {first_day.weekday()}:
        WorkingHours.objects.create(
            therapist=facilitator, location=Location.main(), weekday=other, start_time=dt.time(9), end_time=dt.time(17)
        )
    program = scheduled_program(actor=personas.front_desk, lead_facilitator=facilitator)
    meetings = [m.appointment for m in selectors.program_meetings(program=program)]
    assert {m.location_id for m in meetings} == {west_room.location_id}
    assert {m.start.astimezone(LOS_ANGELES).time() for m in meetings} == {dt.time(18, 0)}
    assert not any(m.override_reason for m in meetings)


def test_the_staff_program_page_names_another_offices_clock_and_the_clock_of_its_offers(
    personas, login, west_room, make_patients
):
    """Staff read the clinic's clock unless told otherwise: meetings at the West office say "Los Angeles time", and
    the offer table's times say which clock they are on, as the other staff pages with instants (notes, receipts)."""
    first_day = clock.local_now().date() + dt.timedelta(days=14)  # the factory's first meeting
    facilitator = facilitator_with_evening_hours(first_day.weekday(), location=west_room.location)
    program = scheduled_program(actor=personas.front_desk, room=west_room, lead_facilitator=facilitator, capacity=1)
    seated, waiting = make_patients(2)
    seat = program_enroll(actor=seated.user, program=program, patient=seated)
    program_enroll(actor=waiting.user, program=program, patient=waiting)
    enrollment_withdraw(actor=None, enrollment=seat)
    offer = Enrollment.objects.get(program=program, status="offered")

    page = login(personas.front_desk).get(f"/programs/{program.pk}/").content.decode()

    first = selectors.program_meetings(program=program).first().appointment.start.astimezone(LOS_ANGELES)
    assert f"{first:%a %b} {first.day}, {first.year} at 6:00 PM Los Angeles time" in page
    deadline = offer.offer_expires_at.astimezone(clock.clinic_tz())
    assert f"{deadline:%a %b} {deadline.day}, {deadline:%-I:%M %p} New York time" in page
