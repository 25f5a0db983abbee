"""The program page's forms refuse as every form does: the page comes back with a summary at its top saying what was
not done and why, what was typed still in its field, 422 for what was typed and 409 for the records as they now
stand (seats taken, someone already in the program, a place in line that changed meanwhile), and nothing written."""

import datetime as dt
import re

import pytest
import time_machine

from apps.core import clock
from apps.patients.models import PatientStatus
from apps.programs import selectors
from apps.programs.models import Attendance, Enrollment, EnrollmentTransition, GroupProgram, WaitlistMove
from apps.programs.services.seats import enrollment_withdraw, program_enroll
from tests.factories import PatientFactory

from .factories import scheduled_program

pytestmark = pytest.mark.django_db

SUMMARY = 'id="error-summary"'


def _refused(response, status: int, *words: str) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert SUMMARY in html
    for said in words:
        assert said in html
    return html


@pytest.fixture
def busy_program(program, make_patients):
    """Capacity 3: two enrolled, one seat offered, three waiting (ranks 1 to 3)."""
    patients = make_patients(7)
    for patient in patients:
        program_enroll(actor=patient.user, program=program, patient=patient)
    enrollment_withdraw(actor=None, enrollment=Enrollment.objects.get(patient=patients[0]))
    return program, patients


def _seats(program) -> tuple:
    rows = Enrollment.objects.filter(program=program).order_by("pk")
    return tuple(rows.values_list("pk", "status", "waitlist_position")), EnrollmentTransition.objects.count()


# Capacity


def test_a_capacity_below_the_seats_taken_is_a_conflict_shown_on_the_page_keeping_the_number(
    personas, login, busy_program
):
    program, _ = busy_program
    before = _seats(program)
    response = login(personas.front_desk).post(f"/programs/{program.pk}/capacity/", {"capacity": 2})
    html = _refused(
        response,
        409,
        "The capacity was not changed. 3 seats are taken or offered; the capacity cannot go below that.",
        "At least 3.",
    )
    assert 'name="capacity" value="2"' in html and 'href="#id_capacity"' in html
    assert GroupProgram.objects.get(pk=program.pk).capacity == 3
    assert _seats(program) == before


@pytest.mark.parametrize("typed", ["0", "many", ""])
def test_a_capacity_that_is_no_number_of_seats_is_refused_422(personas, login, busy_program, typed):
    program, _ = busy_program
    before = _seats(program)
    response = login(personas.front_desk).post(f"/programs/{program.pk}/capacity/", {"capacity": typed})
    _refused(response, 422, "The capacity was not changed.")
    assert GroupProgram.objects.get(pk=program.pk).capacity == 3
    assert _seats(program) == before


def test_the_seats_of_a_program_that_did_not_launch_are_a_conflict(personas, login, program):
    GroupProgram.objects.filter(pk=program.pk).update(stage="not_launched")
    response = login(personas.front_desk).post(f"/programs/{program.pk}/capacity/", {"capacity": 5})
    _refused(response, 409, "did not launch. Its seats no longer change.")
    assert GroupProgram.objects.get(pk=program.pk).capacity == 3


# Enrolling


def test_enrolling_someone_already_in_the_program_is_a_conflict_in_words(personas, login, program):
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    before = _seats(program)
    response = login(personas.front_desk).post(f"/programs/{program.pk}/enroll/", {"patient": personas.patient.pk})
    _refused(response, 409, "Nobody was enrolled. This patient is already enrolled in this program.")
    assert _seats(program) == before


def test_enrolling_nobody_or_a_discharged_patient_is_refused_422(personas, login, program):
    discharged = PatientFactory(status=PatientStatus.DISCHARGED, discharged_on=clock.local_now().date())
    client = login(personas.front_desk)
    _refused(client.post(f"/programs/{program.pk}/enroll/", {}), 422, "Nobody was enrolled.", "This field is required.")
    response = client.post(f"/programs/{program.pk}/enroll/", {"patient": discharged.pk})
    _refused(response, 422, "Nobody was enrolled. Only active patients can enroll.")
    assert not Enrollment.objects.filter(program=program).exists()


def test_the_enroll_list_still_offers_only_active_patients_not_in_the_program(personas, login, program):
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    discharged = PatientFactory(status=PatientStatus.DISCHARGED, discharged_on=clock.local_now().date())
    html = login(personas.front_desk).get(f"/programs/{program.pk}/").content.decode()
    assert f'<option value="{personas.other_patient.pk}"' in html
    assert f'<option value="{personas.patient.pk}"' not in html and f'<option value="{discharged.pk}"' not in html


# The waitlist: moving someone, taking them off it


def test_a_move_without_a_reason_is_refused_keeping_the_place_typed(personas, login, busy_program):
    program, patients = busy_program
    last = Enrollment.objects.get(patient=patients[6])
    before = _seats(program)
    response = login(personas.front_desk).post(f"/programs/enrollments/{last.pk}/move/", {"to_rank": 1, "reason": ""})
    html = _refused(response, 422, "Nobody was moved on the waitlist.", "This field is required.")
    assert f'id="move-{last.pk}-to_rank" type="number" name="to_rank" min="1" max="3" value="1"' in html
    assert f'href="#move-{last.pk}-reason"' in html
    assert _seats(program) == before and not WaitlistMove.objects.exists()


def test_a_move_past_the_end_of_the_line_is_refused_422(personas, login, busy_program):
    program, patients = busy_program
    last = Enrollment.objects.get(patient=patients[6])
    before = _seats(program)
    response = login(personas.front_desk).post(
        f"/programs/enrollments/{last.pk}/move/", {"to_rank": 9, "reason": "Referral"}
    )
    html = _refused(response, 422, "Nobody was moved on the waitlist. The place must be between 1 and 3.")
    assert 'value="Referral"' in html
    assert _seats(program) == before and not WaitlistMove.objects.exists()


def test_moving_someone_who_left_the_line_meanwhile_is_a_conflict(personas, login, busy_program):
    program, patients = busy_program
    gone = Enrollment.objects.get(patient=patients[6])
    enrollment_withdraw(actor=None, enrollment=gone)
    before = _seats(program)
    response = login(personas.front_desk).post(
        f"/programs/enrollments/{gone.pk}/move/", {"to_rank": 1, "reason": "Referral"}
    )
    _refused(response, 409, "Nobody was moved on the waitlist. Only people on the waitlist can be moved.")
    assert _seats(program) == before and not WaitlistMove.objects.exists()


@pytest.mark.parametrize(
    ("action", "said"),
    [
        ("accept", "The seat offer was not accepted. There is no open seat offer"),
        ("decline", "The seat offer was not declined. There is no open seat offer"),
        ("withdraw", "Nobody was withdrawn. This enrollment is already withdrawn."),
    ],
)
def test_an_offer_or_place_answered_meanwhile_is_a_conflict(personas, login, busy_program, action, said):
    program, patients = busy_program
    offer = Enrollment.objects.get(program=program, status="offered")
    enrollment_withdraw(actor=None, enrollment=offer)
    before = _seats(program)
    post = {"confirmed": "yes", "confirm_clash": "yes"}
    response = login(personas.front_desk).post(f"/programs/enrollments/{offer.pk}/{action}/", post)
    _refused(response, 409, said)
    assert _seats(program) == before


# The attendance sheet


def test_a_sheet_before_the_meeting_starts_is_a_conflict_and_records_nothing(personas, login):
    program = scheduled_program(actor=personas.front_desk)
    enrollment = program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    meeting = selectors.program_meetings(program=program).first()
    response = login(program.lead_facilitator).post(
        f"/programs/meetings/{meeting.pk}/attendance/", {f"status-{enrollment.pk}": "attended"}
    )
    _refused(response, 409, "Attendance was not saved. Attendance is taken once the meeting has started.")
    assert not Attendance.objects.exists()


def test_a_sheet_with_a_choice_not_offered_is_refused_422_keeping_every_choice_made(personas, login, make_patients):
    program = scheduled_program(actor=personas.front_desk)
    came, odd = [program_enroll(actor=personas.front_desk, program=program, patient=p) for p in make_patients(2)]
    meeting = selectors.program_meetings(program=program).first()
    with time_machine.travel(meeting.appointment.start + dt.timedelta(minutes=10), tick=False):
        response = login(program.lead_facilitator).post(
            f"/programs/meetings/{meeting.pk}/attendance/",
            {f"status-{came.pk}": "excused", f"status-{odd.pk}": "sleeping"},
        )
    html = _refused(response, 422, "Attendance was not saved. Unknown attendance status.")
    assert re.search(rf'name="status-{came.pk}">.*?<option value="excused" selected>', html, re.S)
    assert not Attendance.objects.exists()  # the sheet is saved whole or not at all
