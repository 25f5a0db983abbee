import pytest

from apps.core import clock
from apps.programs.services.seats import program_enroll

from .factories import ProgramFactory, scheduled_program


@pytest.fixture
def program(db):
    return ProgramFactory(capacity=3)


@pytest.fixture
def online_group_of_three(personas, make_patients):
    """A scheduled group program of three members (one of whom takes text reminders): the program, its members
    (texting, emailing, and one a test has leave) and their enrollments by patient."""
    program = scheduled_program(actor=personas.front_desk, capacity=3)
    texting, emailing, leaving = make_patients(3)
    type(texting).objects.filter(pk=texting.pk).update(reminder_sms=True, sms_consent_at=clock.now())
    enrollments = {
        patient: program_enroll(actor=personas.front_desk, program=program, patient=patient)
        for patient in (texting, emailing, leaving)
    }
    return program, [texting, emailing, leaving], enrollments
