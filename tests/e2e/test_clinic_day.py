"""A whole clinic day in real Chromium, one person after another, each page checked with axe:

the therapist finishes a session, writes its note from My day and signs it (which completes the session and
posts its charge); the front desk books the patient's next session by clicking an empty slot in the calendar;
the reminder text goes out and the patient answers YES; the calendar shows the session confirmed; billing finds
today's charge on the patient's account at the patient's fee.
"""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from twilio.request_validator import RequestValidator

from apps.billing import pricing
from apps.billing.demo import config_seed
from apps.core import clock
from apps.core.money import money_text
from apps.notifications.models import Message, MessageStatus
from apps.patients.services import patient_reminder_preferences_set
from apps.scheduling.models import Appointment, AppointmentStatus
from tests.e2e.conftest import assert_accessible, calendar_slot_point, follow, next_monday, session_start
from tests.e2e.world import earlier_signed_note, progress_note_fill, session_under_way
from tests.factories import ServiceTypeFactory
from tests.scheduling.conftest import give_working_hours

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

TWILIO_TOKEN = "clinic-day-token"


@pytest.fixture
def clinic(personas, settings):
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    ServiceTypeFactory()  # 90834, individual psychotherapy
    config_seed()  # the demo clinic's fees and sliding scale
    give_working_hours(personas.therapist, start=dt.time(8, 0), end=dt.time(18, 0))
    patient_reminder_preferences_set(
        actor=personas.front_desk, patient=personas.patient, email=True, sms=True, sms_consent=True
    )
    personas.patient.refresh_from_db()
    earlier_signed_note(personas)
    return personas


def _text_reply(patient, body: str) -> int:
    """The patient's reply as Twilio delivers it: a signed form post to our webhook."""
    path = "/messages/twilio/inbound/"
    params = {"From": patient.phone, "Body": body}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(settings.SITE_URL + path, params)
    return Client().post(path, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code


def test_a_clinic_day_from_the_session_to_the_charge(new_page, clinic):
    personas = clinic
    session = session_under_way(personas, status=AppointmentStatus.CHECKED_IN)

    # The therapist: My day → the session's note → signed with the attestation.
    therapist = new_page()
    session_start(therapist, personas.therapist, open_home=False)
    therapist.goto("/schedule/my-day/")
    write = therapist.get_by_role("link", name=re.compile(rf"^Write note for {personas.patient.display_name}"))
    write.wait_for()
    assert_accessible(therapist)
    follow(therapist, write)
    follow(therapist, therapist.get_by_role("button", name="Start note"))
    progress_note_fill(therapist)
    signing = therapist.get_by_role("group", name="Sign this note")
    signing.get_by_role("checkbox").check()
    follow(therapist, signing.get_by_role("button", name="Sign note"))
    therapist.get_by_text("Note signed.").wait_for()
    assert_accessible(therapist)
    session.refresh_from_db()
    assert session.status == AppointmentStatus.COMPLETED

    # The front desk: an empty 14:00 slot on a Monday a week or two ahead (every reminder still to come), clicked
    # in the calendar and booked for the patient.
    front_desk = new_page()
    session_start(front_desk, personas.front_desk)
    monday = next_monday() + dt.timedelta(days=7)
    front_desk.goto(f"/schedule/?date={monday}&view=week&therapist={personas.therapist.pk}")
    front_desk.locator(".fc-timegrid-slot-lane").first.wait_for()
    assert_accessible(front_desk)
    front_desk.mouse.click(*calendar_slot_point(front_desk, monday, "14:00:00"))
    front_desk.get_by_role("heading", name="Book a session").wait_for()
    front_desk.get_by_label("Patient").select_option(label=personas.patient.choice_label)
    front_desk.get_by_label("Service type").select_option(str(session.service_type_id))
    assert_accessible(front_desk)
    follow(front_desk, front_desk.get_by_role("button", name="Book"))
    front_desk.get_by_text("Session booked.").wait_for()
    booked = Appointment.objects.get(patient=personas.patient, start=clock.local_datetime(monday, dt.time(14, 0)))

    # The reminder text goes out the day before (the dispatcher's delivery is tested with a real worker in
    # tests/integration); the patient answers YES.
    reminder = Message.objects.get(purpose="reminder_sms", subject_id=str(booked.pk))
    Message.objects.filter(pk=reminder.pk).update(status=MessageStatus.SENT, sent_at=clock.now())
    assert _text_reply(personas.patient, "Yes") == 200

    front_desk.goto(f"/schedule/?date={monday}&view=week&therapist={personas.therapist.pk}")
    event = front_desk.locator(".fc-timegrid-event").filter(has_text=personas.patient.display_name)
    event.filter(has_text="Confirmed").wait_for()
    assert_accessible(front_desk)

    # Billing: today's session on the patient's account, at the fee the one pricing rule gives.
    fee = pricing.charge_price(
        patient=personas.patient, service_type_id=session.service_type_id, on=clock.local_now().date(), policy_fee=False
    ).fee
    billing = new_page()
    session_start(billing, personas.billing, open_home=False)
    billing.goto(f"/billing/patients/{personas.patient.pk}/")
    line = billing.get_by_role("row").filter(has_text=session.service_type.name)
    line.filter(has_text=money_text(fee)).first.wait_for()
    assert_accessible(billing)
