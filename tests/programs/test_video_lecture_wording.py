"""What staff read about a lecture series by video: nobody comes through a door, and nobody pays online either (a
registrant's fee or donation reaches the clinic however they send it, and staff record it). The pages say so, and
the attendance sheet asks who joined; a series in a room still speaks of the door and of who attended."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from apps.programs import selectors
from apps.programs.services.lecture_terms import lecture_service_type
from apps.programs.services.lectures import lecture_register
from tests.factories import RoomFactory

from .factories import scheduled_program

pytestmark = pytest.mark.django_db


def _lecture_series(personas, *, room=None):
    return scheduled_program(
        actor=personas.front_desk,
        kind="lecture",
        service_type=lecture_service_type(),
        fee_mode="sliding",
        full_price=Decimal("20.00"),
        reduced_price=Decimal("5.00"),
        room=room,
    )


def _registered(program):
    return lecture_register(
        program=program, name="Robin Visitor", email="robin@example.test", fee_tier="full", consent=True
    )


def _pages(personas, login, program) -> tuple[str, str]:
    """The program page and the payment page of its registrant, as the front desk reads them."""
    enrollment = _registered(program)
    desk = login(personas.front_desk)
    detail = desk.get(f"/programs/{program.pk}/").content.decode()
    payment = desk.get(f"/programs/enrollments/{enrollment.pk}/lecture-payment/").content.decode()
    return detail, payment


def _sheet(personas, login, program) -> str:
    _registered(program)
    meeting = selectors.program_meetings(program=program).first()
    with time_machine.travel(meeting.appointment.start + dt.timedelta(minutes=10), tick=False):
        return login(personas.front_desk).get(f"/programs/meetings/{meeting.pk}/attendance/").content.decode()


def test_a_video_lectures_pages_say_its_registrants_pay_the_clinic_not_at_a_door(personas, login):
    detail, payment = _pages(personas, login, _lecture_series(personas))
    for page in (detail, payment):
        assert "at the door" not in page.lower()
    assert "Payment from Robin Visitor" in payment
    assert "no online payment" in payment and "no online payment" in detail and "Lectures joined" in detail
    assert "Card (at the door)" not in payment and '<option value="card">Card</option>' in payment


def test_a_lecture_in_a_room_still_takes_payment_at_the_door(personas, login):
    detail, payment = _pages(personas, login, _lecture_series(personas, room=RoomFactory(capacity=30)))
    assert "Payment at the door: Robin Visitor" in payment and "Card (at the door)" in payment
    assert "they pay at the door" in detail and "At the door</th>" in detail and "Lectures attended" in detail
    assert "no online payment" not in detail + payment


def test_a_video_lectures_attendance_sheet_asks_who_joined(personas, login):
    sheet = _sheet(personas, login, _lecture_series(personas))
    assert "at the door" not in sheet.lower()
    assert ">Joined</option>" in sheet and ">Did not join</option>" in sheet
    assert ">Attended</option>" not in sheet and ">No-show</option>" not in sheet
    assert "members of the public pay the clinic" in sheet


def test_a_lecture_in_a_room_asks_who_attended_and_who_pays_at_the_door(personas, login):
    sheet = _sheet(personas, login, _lecture_series(personas, room=RoomFactory(capacity=30)))
    assert ">Attended</option>" in sheet and ">No-show</option>" in sheet and ">Joined</option>" not in sheet
    assert "members of the public pay at the door" in sheet
