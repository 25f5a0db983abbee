"""One rule says when a launched program is over (no seat of it can be taken): once its last meeting has begun, or,
with no meetings booked, once its first meeting's day has passed on the clinic's clock. Accepting an offer and the
offers' minute sweep read it alike, so an offer nobody can accept is ended by the sweep too."""

import datetime as dt

import pytest
import time_machine

from apps.core import clock
from apps.programs import selectors
from apps.programs.models import Enrollment, EnrollmentStatus
from apps.programs.services.seats import (
    _program_over_q,
    enrollment_withdraw,
    program_enroll,
    program_over_refusal,
    seat_offers_due,
)
from apps.waitlist.offers import offers_expire
from tests.programs.factories import ProgramFactory, scheduled_program

pytestmark = pytest.mark.django_db


def _over_in_sql(program, now) -> bool:
    return Enrollment.objects.filter(program=program).filter(_program_over_q(now)).exists()


def _over_by_row(program) -> bool:
    program.refresh_from_db()
    return bool(program_over_refusal(program))


@pytest.fixture
def programs(personas, make_patients):
    """A program with two meetings booked and one with none yet, each with someone enrolled; and the instants just
    before and just after each is over."""
    met = scheduled_program(actor=personas.front_desk, meeting_count=2)
    unbooked = ProgramFactory()
    for program, patient in zip((met, unbooked), make_patients(2), strict=True):
        program_enroll(actor=personas.front_desk, program=program, patient=patient)
    last_start = selectors.program_meetings(program=met).last().appointment.start
    first_day = unbooked.first_meeting_on
    return {
        "meetings to come": (met, last_start - dt.timedelta(minutes=1), False),
        "meetings past": (met, last_start + dt.timedelta(minutes=1), True),
        "no meetings, on the first meeting's day": (unbooked, clock.local_datetime(first_day, dt.time(23, 30)), False),
        "no meetings, the day after": (
            unbooked,
            clock.local_datetime(first_day + dt.timedelta(days=1), dt.time(0, 30)),
            True,
        ),
    }


def test_a_seat_refusal_and_the_sweep_agree_on_which_programs_are_over(programs):
    for case, (program, now, over) in programs.items():
        with time_machine.travel(now, tick=False):
            assert (_over_by_row(program), _over_in_sql(program, now)) == (over, over), case


def test_the_sweep_ends_an_open_offer_of_a_program_with_no_meetings_once_its_first_day_has_passed(
    personas, make_patients
):
    program = ProgramFactory(capacity=1)
    member, waiting = make_patients(2)
    seat = program_enroll(actor=personas.front_desk, program=program, patient=member)
    offered = program_enroll(actor=personas.front_desk, program=program, patient=waiting)
    with time_machine.travel(clock.local_datetime(program.first_meeting_on, dt.time(23, 0)), tick=False):
        enrollment_withdraw(actor=personas.front_desk, enrollment=seat)
    offered.refresh_from_db()
    assert offered.status == EnrollmentStatus.OFFERED and offered.offer_expires_at > clock.local_datetime(
        program.first_meeting_on + dt.timedelta(days=1), dt.time(1, 0)
    )

    with time_machine.travel(clock.local_datetime(program.first_meeting_on, dt.time(23, 59)), tick=False):
        assert offers_expire(kind="seat") == 0
    after = clock.local_datetime(program.first_meeting_on + dt.timedelta(days=1), dt.time(0, 1))
    with time_machine.travel(after, tick=False):
        assert seat_offers_due(clock.now()) == [program.pk]
        assert offers_expire(kind="seat") == 1
    offered.refresh_from_db()
    assert offered.status == EnrollmentStatus.EXPIRED
