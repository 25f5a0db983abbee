"""What comes next for a patient: one rule for the portal and the API."""

import datetime as dt

import pytest

from apps.core import clock
from apps.ladder.models import CareLevel
from apps.ladder.selectors import next_step
from apps.ladder.services import care_level_set
from apps.programs.models import Enrollment, EnrollmentStatus, GroupProgram, LectureFeeMode, ProgramKind, ProgramStage
from apps.programs.services.lecture_terms import lecture_service_type
from apps.programs.services.seats import program_enroll
from tests.programs.factories import ProgramFactory, scheduled_program

pytestmark = pytest.mark.django_db


def test_a_patient_not_placed_is_told_to_talk_about_where_to_start(personas):
    step = next_step(patient=personas.patient)

    assert (step.level, step.level_label, step.next_level) == ("", "Not placed yet", CareLevel.EDUCATION)
    assert "where to start" in step.step
    assert step.step_url == ""


def test_without_anything_booked_the_step_is_a_conversation_about_the_next_rung(personas):
    care_level_set(patient=personas.patient, level=CareLevel.LECTURE_SERIES, reason="x", actor=personas.therapist)

    step = next_step(patient=personas.patient)

    assert (step.level_label, step.next_level_label) == ("Lecture series", "Group program")
    assert step.step == "Talk to your therapist about moving on to group program."


def test_the_next_meeting_of_an_enrolled_program_is_the_next_step(personas):
    care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason="x", actor=personas.therapist)
    program = scheduled_program(actor=personas.admin)
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)

    step = next_step(patient=personas.patient)

    assert step.step.startswith(f"Your next meeting of {program.title} is ")
    assert step.step_url == "/portal/programs/"


def test_a_place_on_a_full_programs_list_is_the_next_step(personas, make_patients):
    care_level_set(patient=personas.patient, level=CareLevel.EDUCATION, reason="x", actor=personas.therapist)
    program = scheduled_program(actor=personas.admin, capacity=1)
    [first] = make_patients(1)
    program_enroll(actor=personas.front_desk, program=program, patient=first)
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)

    step = next_step(patient=personas.patient)

    assert step.step.startswith(f"You are number 1 on the list for {program.title}")


def test_the_top_rung_has_no_next_rung(personas):
    care_level_set(patient=personas.patient, level=CareLevel.MAINTENANCE, reason="x", actor=personas.therapist)

    step = next_step(patient=personas.patient)

    assert (step.next_level, step.next_level_label) == ("", "")
    assert "check-in" in step.step


def test_a_place_on_a_proposed_programs_interest_list_says_when_it_is_decided(personas):
    care_level_set(patient=personas.patient, level=CareLevel.EDUCATION, reason="x", actor=personas.therapist)
    decision = clock.local_now().date() + dt.timedelta(days=20)
    program = ProgramFactory(
        kind=ProgramKind.LECTURE,
        service_type=lecture_service_type(),
        fee_mode=LectureFeeMode.DONATION,
        stage=ProgramStage.PROPOSED,
        minimum_to_launch=2,
        decision_on=decision,
        title="Evening lectures",
    )
    Enrollment.objects.create(
        program=program, patient=personas.patient, status=EnrollmentStatus.WAITLISTED, waitlist_position=1
    )

    step = next_step(patient=personas.patient)

    assert step.step == (
        f"You are on the interest list for Evening lectures; the clinic decides by {decision:%B} {decision.day} "
        "whether it runs."
    )


def test_the_next_lecture_of_a_lecture_series_is_called_a_lecture(personas):
    care_level_set(patient=personas.patient, level=CareLevel.LECTURE_SERIES, reason="x", actor=personas.therapist)
    program = scheduled_program(actor=personas.admin)
    GroupProgram.objects.filter(pk=program.pk).update(
        kind=ProgramKind.LECTURE, service_type=lecture_service_type(), fee_mode=LectureFeeMode.DONATION
    )
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)

    assert next_step(patient=personas.patient).step.startswith(f"Your next lecture of {program.title} is ")


def test_a_place_on_a_running_programs_list_comes_before_an_interest_list(personas, make_patients):
    care_level_set(patient=personas.patient, level=CareLevel.EDUCATION, reason="x", actor=personas.therapist)
    running = scheduled_program(actor=personas.admin, capacity=1)
    [first] = make_patients(1)
    program_enroll(actor=personas.front_desk, program=running, patient=first)
    program_enroll(actor=personas.front_desk, program=running, patient=personas.patient)
    # Joined after the waitlist place: the newer enrollment used to be named first.
    proposed = ProgramFactory(
        stage=ProgramStage.PROPOSED, minimum_to_launch=2, decision_on=clock.local_now().date() + dt.timedelta(days=20)
    )
    Enrollment.objects.create(
        program=proposed, patient=personas.patient, status=EnrollmentStatus.WAITLISTED, waitlist_position=1
    )

    step = next_step(patient=personas.patient)

    assert step.step.startswith(f"You are number 1 on the list for {running.title}")
