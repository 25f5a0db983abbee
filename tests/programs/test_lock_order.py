"""Services that touch an enrollment lock its program first, then the enrollment, as every seat service does: taking
attendance or a payment at the door while a withdrawal is half-way waits for it instead of deadlocking (a 500)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction

from apps.programs import selectors
from apps.programs.models import Attendance, LecturePayment
from apps.programs.services.attendance import attendance_record
from apps.programs.services.lectures import lecture_payment_record
from apps.programs.services.seats import enrollment_withdraw, program_enroll, program_lock
from tests.locking import waiting_on_own_transaction

from .factories import scheduled_program
from .test_public_lectures import lecture, register

pytestmark = pytest.mark.django_db(transaction=True)


def _withdrawal_half_way(enrollment, actor, racing) -> object:
    """A withdrawal holding the program's row while `racing` starts and waits for it, then taking the enrollment's
    (the order enrollment_withdraw takes them in). Answers what `racing` returned or raised."""
    with transaction.atomic():
        program_lock(enrollment.program_id)
        finish = waiting_on_own_transaction(racing)
        enrollment_withdraw(actor=actor, enrollment=enrollment)
    return finish()


def test_attendance_taken_while_a_member_withdraws_waits_for_the_withdrawal(personas):
    program = scheduled_program(actor=personas.front_desk)
    enrollment = program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    meeting = selectors.program_meetings(program=program).first()
    with time_machine.travel(meeting.appointment.start + dt.timedelta(minutes=30), tick=False):
        recorded = _withdrawal_half_way(
            enrollment,
            personas.patient_user,
            lambda: attendance_record(
                actor=personas.therapist, meeting=meeting, enrollment=enrollment, status="attended"
            ),
        )
    assert isinstance(recorded, Attendance), recorded  # they withdrew during the meeting: still a member at it
    enrollment.refresh_from_db()
    assert enrollment.status == "withdrawn"


def test_a_payment_at_the_door_taken_while_the_registrant_cancels_waits_for_the_cancellation(personas):
    program = lecture(capacity=2, fee_mode="sliding", full_price=Decimal("20.00"), reduced_price=Decimal("5.00"))
    enrollment = register(program, fee_tier="full")
    paid = _withdrawal_half_way(
        enrollment,
        None,
        lambda: lecture_payment_record(
            actor=personas.front_desk, enrollment=enrollment, kind="fee", amount=Decimal("20.00"), method="cash"
        ),
    )
    assert isinstance(paid, LecturePayment), paid
    enrollment.refresh_from_db()
    assert enrollment.status == "withdrawn"
