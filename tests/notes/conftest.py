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


def plan_content(**goal_overrides) -> dict:
    """A complete plan: one problem with a PHQ-9 goal (at most 9) and a pain goal, and interventions."""
    phq9_goal = {
        "description": "Lift her mood so that she enjoys work again.",
        "measure": "phq9",
        "target_score": 9,
        "direction": "at_most",
        "target_date": None,
        "interventions": ["Psychodynamic psychotherapy, weekly"],
    }
    phq9_goal.update(goal_overrides)
    return {
        "problems": [
            {
                "text": "Chronic low back pain driven by unexpressed anger.",
                "goals": [
                    phq9_goal,
                    {
                        "description": "Reduce average pain.",
                        "measure": "pain_nrs",
                        "target_score": 3,
                        "direction": "at_most",
                        "target_date": None,
                        "interventions": ["Pain reprocessing therapy, weekly"],
                    },
                ],
            }
        ],
        "interventions": ["TMS education and daily journaling"],
    }


def draft_plan_for(therapist, patient, *, content=None, start_offset_days: int = 0, review_after_days: int = 90):
    from apps.notes.plan_services import plan_create

    start = clock.local_now().date() + dt.timedelta(days=start_offset_days)
    return plan_create(
        actor=therapist,
        patient=patient,
        start_date=start,
        review_date=start + dt.timedelta(days=review_after_days),
        content=plan_content() if content is None else content,
    )


def signed_plan_for(therapist, patient, **kwargs):
    from apps.notes.plan_services import plan_sign

    return plan_sign(actor=therapist, plan=draft_plan_for(therapist, patient, **kwargs), attest=True)


@pytest.fixture
def colleague(personas):
    """Another therapist who also treats the personas' patient (saw them three weeks ago)."""
    from tests.factories import TherapistFactory

    therapist = TherapistFactory(email="colleague@example.test")
    past_appointment_for(therapist, personas.patient, days_ago=21)
    return therapist
