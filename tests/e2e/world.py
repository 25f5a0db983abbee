"""A patient with something on every portal page: a video session next week with questionnaires waiting,
a charged past session and a payment, a journal entry, a program with a free seat and one with a waitlist.
And a front desk with something in every section of its day."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from apps.accounts.disciplines import Discipline
from apps.billing.demo import config_seed
from apps.billing.services.assessments import assessment_submit
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import payment_record
from apps.core import clock
from apps.outcomes import services as outcomes
from apps.programs.services.seats import program_enroll
from apps.scheduling.models import WorkingHours
from tests.factories import AppointmentFactory, ServiceTypeFactory
from tests.programs.factories import scheduled_program


@dataclass
class PortalWorld:
    upcoming: object
    past: object
    payment: object
    assessment: object
    open_program: object
    full_program: object
    journal_entry: object
    questionnaire: object


def portal_world(personas) -> PortalWorld:
    service = ServiceTypeFactory(code="90834", name="Individual psychotherapy, 45 min", duration_minutes=45)
    config_seed()
    for weekday in range(5):
        WorkingHours.objects.create(
            therapist=personas.therapist, weekday=weekday, start_time=dt.time(8), end_time=dt.time(18)
        )
    today = clock.local_now().date()
    # A Monday at least two days ahead: on a Sunday, the next day's session would be inside the cancellation
    # window, and cancelling it a late cancellation with its fee.
    days_ahead = (7 - today.weekday()) or 7
    next_monday = today + dt.timedelta(days=days_ahead if days_ahead >= 2 else days_ahead + 7)
    start = clock.local_datetime(next_monday, dt.time(10))
    upcoming = AppointmentFactory(
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=service,
        start=start,
        end=start + dt.timedelta(minutes=45),
        is_telehealth=True,
        telehealth_url="https://video.example.test/r/4f7c2a",
    )
    questionnaires = outcomes.questionnaires_send_for_appointment(appointment=upcoming)
    past_start = clock.local_datetime(today - dt.timedelta(days=7), dt.time(10))
    past = AppointmentFactory(
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=service,
        start=past_start,
        end=past_start + dt.timedelta(minutes=45),
        status="completed",
    )
    charge_for_appointment_outcome(appointment=past, actor=personas.therapist)
    payment = payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="50")
    assessment = assessment_submit(
        actor=personas.other_patient_user,
        patient=personas.other_patient,
        household_size=2,
        annual_income=Decimal("30000"),
    )
    open_program = scheduled_program(actor=personas.admin, capacity=8, title="Knowledge-therapy lecture series")
    full_program = scheduled_program(actor=personas.admin, capacity=1, title="TMS recovery group")
    program_enroll(actor=personas.other_patient_user, program=full_program, patient=personas.other_patient)
    program_enroll(actor=personas.patient_user, program=full_program, patient=personas.patient)
    entry = outcomes.journal_entry_create(
        actor=personas.patient_user, patient=personas.patient, text="The ache moved to my shoulders today."
    )
    return PortalWorld(
        upcoming=upcoming,
        past=past,
        payment=payment,
        assessment=assessment,
        open_program=open_program,
        full_program=full_program,
        journal_entry=entry,
        questionnaire=questionnaires[0],
    )


@dataclass
class FrontDeskDay:
    arrival: object
    confirmed_arrival: object
    unconfirmed_tomorrow: object


def front_desk_day_world(personas) -> FrontDeskDay:
    """Today (clinic time): the persona patient expected at 09:00, the other patient at 11:00 and confirmed by
    text; tomorrow an unconfirmed session; a reminder that failed. With `portal_world` the patient also owes a
    balance, has questionnaires to answer and waits for a group seat."""
    from apps.notifications.confirmations import appointment_confirm
    from apps.notifications.models import ConfirmationSource, Message, MessageStatus
    from apps.notifications.outbox import message_enqueue

    today = clock.local_now().date()

    def session(day, hour, therapist, patient):
        start = clock.local_datetime(day, dt.time(hour))
        return AppointmentFactory(
            therapist=therapist, patient=patient, start=start, end=start + dt.timedelta(minutes=45)
        )

    arrival = session(today, 9, personas.therapist, personas.patient)
    confirmed = session(today, 11, personas.other_therapist, personas.other_patient)
    appointment_confirm(appointment=confirmed, source=ConfirmationSource.SMS)
    tomorrow = session(today + dt.timedelta(days=1), 15, personas.other_therapist, personas.other_patient)
    failed = message_enqueue(
        channel="email",
        to_address=personas.other_patient.email,
        purpose="reminder_email",
        template="appointment_reminder",
        subject=tomorrow,
        send_at=clock.now(),
        dedupe_key="front-desk-day-failed",
        patient=personas.other_patient,
    )
    Message.objects.filter(pk=failed.pk).update(
        status=MessageStatus.FAILED, last_error="The mail server refused the recipient address."
    )
    return FrontDeskDay(arrival=arrival, confirmed_arrival=confirmed, unconfirmed_tomorrow=tomorrow)


# --- a therapist's session and note ------------------------------------------------------------------------------


def session_under_way(personas, *, status, service_type=None):
    """The persona patient's session with the persona therapist, under way: it overlaps the present and starts today
    (My day lists a session on the day it starts), so just after midnight it began at midnight, not the evening
    before."""
    start = max(
        clock.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=40),
        clock.local_datetime(clock.local_now().date(), dt.time(0)),
    )
    extra = {"service_type": service_type} if service_type is not None else {}
    return AppointmentFactory(
        therapist=personas.therapist,
        patient=personas.patient,
        start=start,
        end=start + dt.timedelta(minutes=45),
        status=status,
        **extra,
    )


def earlier_signed_note(personas):
    """A signed progress note from a week ago, so the patient is returning and a new note starts from progress."""
    from apps.notes.models import NoteTemplate
    from apps.notes.services import note_create, note_sign
    from tests.notes.conftest import complete_progress_content

    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=7), dt.time(10))
    earlier = AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, start=start, end=start + dt.timedelta(minutes=45)
    )
    progress = NoteTemplate.objects.get(kind="progress", discipline=Discipline.PSYCHOTHERAPY)
    note = note_create(
        actor=personas.therapist, appointment=earlier, template=progress, content=complete_progress_content()
    )
    return note_sign(actor=personas.therapist, note=note, attest=True)


def progress_note_fill(page) -> None:
    """Answer every required question of the progress note open in `page`."""
    page.get_by_label("Presenting symptoms").fill("Neck and shoulder tension after the family visit.")
    page.get_by_role("checkbox", name="Neck and shoulders").check()
    page.get_by_label("Pain intensity now (0-10)").fill("3")
    page.get_by_label("Pain intensity at worst this week (0-10)").fill("6")
    page.get_by_role("radio", name="Better", exact=True).check()
    page.get_by_role("checkbox", name="Interpretation").check()
    page.get_by_label("Patient's response and insight").fill("Saw the tension rise as she swallowed her anger.")
    page.get_by_label("Plan and homework").fill("Journal on the visit; weekly sessions.")
    page.get_by_role("radio", name="None", exact=True).check()
