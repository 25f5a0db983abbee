import datetime as dt

import pytest

from apps.core import clock
from apps.notes.models import NoteTemplate
from apps.notes.services import note_templates_ensure
from tests.factories import AppointmentFactory

CANARY = "CANARY-7f3a-process-note-marmalade"


def complete_progress_content(**overrides) -> dict:
    content = {
        "presenting_symptoms": "Low back pain, worse on work days.",
        "symptom_locations": ["back", "neck_shoulders"],
        "pain_now": 4,
        "pain_worst": 7,
        "change_since_last": "better",
        "symptom_shifts": "Pain moved from low back to shoulders after the argument with her sister.",
        "emotional_themes": ["anger_rage", "guilt"],
        "personality_pressures": ["perfectionism", "goodism"],
        "interventions": ["interpretation", "journaling_assignment"],
        "patient_response": "Connected the flare to anger she could not express.",
        "plan_homework": "Journal daily on the anger; continue weekly sessions.",
        "suicidal_ideation": "none",
    }
    content.update(overrides)
    return content


@pytest.fixture
def progress_template(db):
    note_templates_ensure()  # a transactional test elsewhere may have flushed the migration's rows
    return NoteTemplate.objects.get(name="Psychodynamic TMS progress note")


@pytest.fixture
def intake_template(db):
    note_templates_ensure()  # a transactional test elsewhere may have flushed the migration's rows
    return NoteTemplate.objects.get(name="Intake assessment")


@pytest.fixture
def past_session(personas):
    """A session with the personas' therapist and patient that took place yesterday."""
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=1), dt.time(10, 0))
    return AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, start=start, end=start + dt.timedelta(minutes=45)
    )


def past_appointment_for(therapist, patient, *, days_ago: int = 1, hour: int = 10):
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=days_ago), dt.time(hour, 0))
    return AppointmentFactory(therapist=therapist, patient=patient, start=start, end=start + dt.timedelta(minutes=45))
