"""A patient with some of everything the record holds, built through the services that write it."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.billing.demo import config_seed
from apps.billing.services.assessments import assessment_submit
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import adjustment_post, payment_record
from apps.core import clock
from apps.notes.services import addendum_add, note_create, note_sign, process_note_create
from apps.outcomes.services import journal_entry_create, questionnaire_answer, questionnaire_assign
from apps.programs.services.seats import program_enroll
from tests.factories import AppointmentFactory, ServiceTypeFactory
from tests.notes.conftest import CANARY, complete_progress_content
from tests.programs.factories import scheduled_program

JOURNAL_TEXT = "Wrote about the anger at work; the back eased afterwards."
ADDENDUM_TEXT = "Addendum: the shoulder pain started after the call."


@pytest.fixture
def progress_template(db):
    from apps.notes.models import NoteTemplate

    return NoteTemplate.objects.get(name="Psychodynamic TMS progress note")


@pytest.fixture
def individual_service(db):
    for code, name, minutes in (("90791", "Intake assessment", 60), ("90853", "Group psychotherapy", 90)):
        ServiceTypeFactory(code=code, name=name, duration_minutes=minutes, is_group=code == "90853")
    service = ServiceTypeFactory(code="90834", name="Individual psychotherapy, 45 min", duration_minutes=45)
    config_seed()
    return service


@pytest.fixture
def add_history(personas, individual_service, progress_template):
    """add_history(n, first_week=0): n more weeks of care for the personas' patient, each with a completed session
    (charged, paid and a signed note with an addendum), an answered questionnaire and a journal entry."""

    def _add(n: int, *, first_week: int = 0):
        patient = personas.patient
        for week in range(first_week, first_week + n):
            start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=3 + 7 * week), dt.time(10, 0))
            session = AppointmentFactory(
                therapist=personas.therapist,
                patient=patient,
                service_type=individual_service,
                start=start,
                end=start + dt.timedelta(minutes=45),
                status="completed",
            )
            charge = charge_for_appointment_outcome(appointment=session, actor=personas.front_desk)
            payment_record(actor=personas.front_desk, patient=patient, method="cash", amount=charge.amount)
            note = note_create(
                actor=personas.therapist,
                appointment=session,
                template=progress_template,
                content=complete_progress_content(),
            )
            note = note_sign(actor=personas.therapist, note=note, attest=True)
            addendum_add(actor=personas.therapist, note=note, text=ADDENDUM_TEXT)
            assignment, _ = questionnaire_assign(
                patient=patient,
                instrument="pain_nrs",
                due_at=clock.now() - dt.timedelta(days=1),
                expires_at=clock.now() + dt.timedelta(days=1),
                source_meeting=None,
            )
            questionnaire_answer(actor=personas.patient_user, assignment=assignment, answers=[week % 11])
            journal_entry_create(actor=personas.patient_user, patient=patient, text=f"{JOURNAL_TEXT} ({week})")

    return _add


@pytest.fixture
def full_history(personas, add_history, individual_service):
    """Two weeks of care, plus a charged session with a courtesy adjustment, a sliding-scale application, a group
    the patient is in, a draft note, a process note (which must never appear) and a coming session."""
    add_history(2)
    patient = personas.patient
    assessment_submit(actor=personas.patient_user, patient=patient, household_size=2, annual_income=Decimal("30100"))
    group = scheduled_program(actor=personas.admin, capacity=2, meeting_count=2, title="TMS recovery group")
    program_enroll(actor=personas.front_desk, program=group, patient=patient)
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=1), dt.time(15, 0))
    drafted = AppointmentFactory(
        therapist=personas.therapist,
        patient=patient,
        service_type=individual_service,
        start=start,
        end=start + dt.timedelta(minutes=45),
        status="completed",
    )
    charge_for_appointment_outcome(appointment=drafted, actor=personas.front_desk)
    adjustment_post(
        actor=personas.billing, patient=patient, kind="courtesy", amount=Decimal("5.00"), reason="Parking refund"
    )
    note_create(
        actor=personas.therapist, appointment=drafted, content=complete_progress_content(patient_response="DRAFT-ONLY")
    )
    process_note_create(actor=personas.therapist, patient=patient, text=CANARY, appointment=drafted)
    coming = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=5), dt.time(11, 0))
    AppointmentFactory(
        therapist=personas.therapist,
        patient=patient,
        service_type=individual_service,
        start=coming,
        end=coming + dt.timedelta(minutes=45),
    )
    return group
