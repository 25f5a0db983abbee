import datetime as dt

import pytest

from apps.billing.demo import config_seed
from apps.core import clock
from apps.notes.models import NoteTemplate
from apps.notes.services import addendum_add, note_create, note_sign, note_templates_ensure, process_note_create
from apps.outcomes.services import journal_entry_create, questionnaire_answer, questionnaires_send_for_appointment
from tests.factories import AppointmentFactory

CANARY = "CANARY-7f3a-process-note-marmalade"
NOTE_CANARY = "CANARY-note-text-quince-4411"


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


def form_data(content: dict) -> dict:
    """A note's answers as the editor's form posts them."""
    return {key: value if not isinstance(value, int) else str(value) for key, value in content.items()}


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


@pytest.fixture
def draft(personas, past_session, progress_template):
    """A complete draft of the past session's note, the fee configuration in place to charge the session."""
    config_seed()
    return note_create(
        actor=personas.therapist,
        appointment=past_session,
        template=progress_template,
        content=complete_progress_content(),
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


@pytest.fixture
def record(personas, progress_template):
    """The privacy walks' record of the personas' patient: a signed note with an addendum and a draft (note text
    carries NOTE_CANARY), a process note (CANARY), a shared journal entry, a flagged PHQ-9, a signed and a draft
    plan."""
    signed_session = past_appointment_for(personas.therapist, personas.patient, days_ago=2)
    draft_session = past_appointment_for(personas.therapist, personas.patient, days_ago=1)
    signed = note_create(
        actor=personas.therapist,
        appointment=signed_session,
        template=progress_template,
        content=complete_progress_content(patient_response=NOTE_CANARY),
    )
    signed = note_sign(actor=personas.therapist, note=signed, attest=True)
    addendum_add(actor=personas.therapist, note=signed, text=f"Addendum {NOTE_CANARY}")
    draft = note_create(
        actor=personas.therapist,
        appointment=draft_session,
        template=progress_template,
        content={"presenting_symptoms": NOTE_CANARY},
    )
    process = process_note_create(
        actor=personas.therapist, patient=personas.patient, appointment=signed_session, text=CANARY
    )
    entry = journal_entry_create(actor=personas.patient_user, patient=personas.patient, text="Journal.", share=True)
    upcoming = AppointmentFactory(therapist=personas.therapist, patient=personas.patient)
    assignment = questionnaires_send_for_appointment(appointment=upcoming)[0]
    response = questionnaire_answer(actor=personas.patient_user, assignment=assignment, answers=[5])
    plan_text = plan_content(description=f"Goal {NOTE_CANARY}")
    plan_text["interventions"] = [f"Intervention {NOTE_CANARY}"]
    signed_plan = signed_plan_for(personas.therapist, personas.patient, content=plan_text)
    draft_plan = draft_plan_for(personas.therapist, personas.patient, content=plan_text)
    return {
        "signed_plan": signed_plan,
        "draft_plan": draft_plan,
        "signed": signed,
        "draft": draft,
        "process": process,
        "session": signed_session,
        "patient": personas.patient,
        "entry": entry,
        "response": response,
    }
