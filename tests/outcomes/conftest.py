import datetime as dt

import pytest

from apps.core import clock
from apps.programs import selectors as program_selectors
from apps.programs.services.seats import program_enroll
from tests.factories import AppointmentFactory
from tests.programs.factories import scheduled_program


@pytest.fixture
def tomorrow_session(personas):
    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=1), dt.time(11, 0))
    return AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, start=start, end=start + dt.timedelta(minutes=45)
    )


@pytest.fixture
def answer_all(personas):
    """answer_all() -> the patient's waiting questionnaires count as answered now (the fortnightly and four-weekly
    repeats follow what was answered, not what was sent)."""
    from apps.outcomes.models import QuestionnaireAssignment

    def answer():
        QuestionnaireAssignment.objects.filter(patient=personas.patient, status="pending").update(
            status="completed", completed_at=clock.now()
        )

    return answer


@pytest.fixture
def group_member(personas, make_patients):
    """A member of a group asking PHQ-9, with no therapist of their own, asked before the first meeting."""
    program = scheduled_program(actor=personas.front_desk, capacity=3, outcome_questionnaires=["phq9"])
    [member] = make_patients(1)
    program_enroll(actor=personas.front_desk, program=program, patient=member)
    first = program_selectors.program_meetings(program=program)[0].appointment
    return member, first
