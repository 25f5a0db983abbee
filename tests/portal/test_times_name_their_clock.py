"""A patient or a visitor may be anywhere, so every portal and public page names the clock a time is on, the clinic's
own too ("6:00 PM New York time"), as the emails and texts sent to them say it. Staff pages name a zone only
when it is not the clinic's."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.core import clock
from apps.core.when import clock_text
from apps.messaging.services import thread_start
from apps.outcomes.services import questionnaires_send_for_appointment
from apps.programs.models import ProgramKind
from apps.programs.services.lecture_terms import lecture_service_type
from apps.programs.services.seats import enrollment_withdraw, program_enroll
from tests.factories import appointment_ahead
from tests.programs.factories import ProgramFactory, scheduled_program
from tests.programs.formation_helpers import proposed_program

pytestmark = pytest.mark.django_db


def _on_clinic_clock(moment: dt.datetime, day_format: str = "%A, %B %-d") -> str:
    local = timezone.localtime(moment, clock.clinic_tz())
    return f"{local.strftime(day_format)} at {clock_text(local)} New York time"


def _next_session(personas):
    return appointment_ahead(therapist=personas.therapist, patient=personas.patient)


def _home(personas, client):
    session = _next_session(personas)
    return client.get("/portal/").content.decode(), [_on_clinic_clock(session.start)]


def _sessions(personas, client):
    session = _next_session(personas)
    return client.get("/portal/sessions/").content.decode(), [_on_clinic_clock(session.start)]


def _programs(personas, client):
    ProgramFactory(title="Evening group")  # 6:00 PM on the clinic's clock
    return client.get("/portal/programs/").content.decode(), ["s at 6:00 PM New York time, from"]


def _questionnaires(personas, client):
    session = _next_session(personas)
    questionnaires_send_for_appointment(appointment=session)
    page = client.get("/portal/questionnaires/").content.decode()
    return page, [f"before your session on {_on_clinic_clock(session.start)}"]


def _message_thread(personas, client):
    thread = thread_start(actor=personas.patient_user, patient=personas.patient, subject="Hello", text="A question")
    said = _on_clinic_clock(thread.messages.get().created_at, "%b %-d, %Y")
    return client.get(f"/portal/messages/{thread.pk}/").content.decode(), [said]


def _message_list(personas, client):
    thread = thread_start(actor=personas.patient_user, patient=personas.patient, subject="Hello", text="A question")
    said = _on_clinic_clock(thread.last_message_at, "%b %-d, %Y")
    return client.get("/portal/messages/").content.decode(), [said]


def _held_seat_on_where_you_are(personas, client):
    program = scheduled_program(actor=personas.admin, capacity=1, title="TMS recovery group")
    seat = program_enroll(actor=personas.other_patient_user, program=program, patient=personas.other_patient)
    enrollment = program_enroll(actor=personas.patient_user, program=program, patient=personas.patient)
    enrollment_withdraw(actor=personas.other_patient_user, enrollment=seat)
    enrollment.refresh_from_db()
    # The "Where you are" card's next step, besides the card of offers waiting for an answer.
    said = f"held for you until {_on_clinic_clock(enrollment.offer_expires_at)}: accept it."
    return client.get("/portal/").content.decode(), [said]


def _lecture(**extra):
    fields = {"kind": "lecture", "service_type": lecture_service_type(), "fee_mode": "donation"}
    return {**fields, **extra}


def _public_lectures(personas, client):
    proposed_program(actor=personas.admin, kind=ProgramKind.LECTURE)
    return client.get("/lectures/").content.decode(), ["at 6:00 PM New York time"]


def _public_planned_lecture(personas, client):
    program = proposed_program(actor=personas.admin, kind=ProgramKind.LECTURE)
    return client.get(f"/lectures/{program.pk}/").content.decode(), ["at 6:00 PM New York time"]


def _public_lecture_meetings(personas, client):
    program = scheduled_program(actor=personas.admin, **_lecture(title="Booked lectures"))
    first = program.meetings.order_by("number").first().appointment
    page = client.get(f"/lectures/{program.pk}/").content.decode()
    return page, [_on_clinic_clock(first.start, "%A, %B %-d, %Y")]


PAGES = {
    "home's next session": _home,
    "sessions": _sessions,
    "programs": _programs,
    "questionnaires": _questionnaires,
    "message thread": _message_thread,
    "message list": _message_list,
    "held seat on the home page": _held_seat_on_where_you_are,
    "public lectures": _public_lectures,
    "public planned lecture": _public_planned_lecture,
    "public lecture meetings": _public_lecture_meetings,
}


@pytest.mark.parametrize("page", PAGES)
def test_a_portal_or_public_page_names_the_clinics_own_clock(personas, login, client, page):
    reader = client if page.startswith("public") else login(personas.patient_user)

    body, said = PAGES[page](personas, reader)

    for text in said:
        assert text in body, (page, text)
