"""Links a patient follows from an email without signing in, in real Chromium: a seat offer answered by a patient who
has no portal account, a reminder's cancel link, a link that no longer works, and one sent to an address that is no
longer the patient's. Each page says how to reach the clinic directly and leads to no sign-in; a signed-in patient
keeps the footer's link to the contact page."""

import datetime as dt
from urllib.parse import urlparse

import pytest
import time_machine
from playwright.sync_api import expect

from apps.core import clock
from apps.core.models import ClinicSettings
from apps.notifications.links import appointment_link_url
from apps.notifications.models import Message
from apps.patients.services import patient_update
from apps.programs.models import Enrollment
from apps.programs.services.seats import enrollment_withdraw, program_enroll
from tests.e2e.conftest import PHONE, assert_accessible, follow, session_start
from tests.factories import AppointmentFactory, PatientFactory
from tests.programs.factories import scheduled_program

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clinic(db):
    settings = ClinicSettings.load()
    settings.phone, settings.email = "617-555-0100", "frontdesk@clinic.test"
    settings.save()
    return settings


def expect_no_sign_in_on(page) -> None:
    """The help footer gives the clinic's phone and email, and nothing on the page leads to a sign-in."""
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("link", name="617-555-0100")).to_have_attribute("href", "tel:617-555-0100")
    expect(footer.get_by_role("link", name="frontdesk@clinic.test")).to_have_attribute(
        "href", "mailto:frontdesk@clinic.test"
    )
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.getAttribute('href'))")
    assert not [href for href in hrefs if href == "/" or href.startswith(("/portal/", "/accounts/"))], hrefs


def _offer_to_chart_only_patient(personas):
    """A full program whose only member leaves while a patient with a chart but no portal account waits."""
    program = scheduled_program(actor=personas.admin, capacity=1, title="TMS recovery group")
    program_enroll(actor=personas.other_patient_user, program=program, patient=personas.other_patient)
    patient = PatientFactory(legal_first_name="Casey")
    program_enroll(actor=personas.front_desk, program=program, patient=patient)
    enrollment_withdraw(
        actor=personas.other_patient_user, enrollment=Enrollment.objects.get(patient=personas.other_patient)
    )
    context = Message.objects.get(template="seat_offer", patient=patient, channel="email").context
    return patient, program, urlparse(context["accept_url"]).path


def test_a_patient_without_an_account_takes_the_seat_from_the_email_and_is_told_how_to_call(
    new_page, personas, clinic, shots
):
    patient, program, accept = _offer_to_chart_only_patient(personas)
    phone = new_page(PHONE)
    phone.goto(accept)
    phone.get_by_text("A seat is held for Casey until").wait_for()
    expect_no_sign_in_on(phone)
    phone.screenshot(path=shots / "offer-signed-out.png", full_page=True)
    assert_accessible(phone)

    follow(phone, phone.get_by_role("button", name="Accept the seat"))
    phone.get_by_text("The seat is taken: Casey is in the program.").wait_for()
    expect_no_sign_in_on(phone)
    phone.screenshot(path=shots / "offer-signed-out-accepted.png", full_page=True)
    assert Enrollment.objects.get(patient=patient, program=program).status == "enrolled"


def test_a_reminders_cancel_link_and_a_dead_link_show_the_clinics_number(new_page, personas, clinic, shots):
    appointment = AppointmentFactory(therapist=personas.therapist, patient=personas.patient)
    phone = new_page(PHONE)
    phone.goto(urlparse(appointment_link_url(appointment=appointment, action="cancel")).path)
    expect_no_sign_in_on(phone)
    phone.screenshot(path=shots / "reminder-cancel.png", full_page=True)
    follow(phone, phone.get_by_role("button", name="Cancel this session"))
    phone.get_by_text("Your session is cancelled.").wait_for()

    phone.goto("/messages/appointment/cancel/not-a-real-link/")
    phone.get_by_role("heading", name="This page or link is not valid").wait_for()
    expect(phone.get_by_text("This link is not valid.")).to_be_visible()
    expect_no_sign_in_on(phone)
    phone.screenshot(path=shots / "dead-link.png", full_page=True)
    assert_accessible(phone)


def test_a_reminders_link_to_an_address_no_longer_the_patients_says_so_and_cancels_nothing(
    new_page, personas, clinic, shots
):
    appointment = AppointmentFactory(therapist=personas.therapist, patient=personas.patient)
    cancel = urlparse(appointment_link_url(appointment=appointment, action="cancel")).path
    # A minute on: signing times are whole seconds, so the change is told apart from the reminder at any hour.
    with time_machine.travel(clock.now() + dt.timedelta(minutes=1)):
        patient_update(actor=personas.front_desk, patient=personas.patient, email="pat.elsewhere@example.test")
        phone = new_page(PHONE)
        phone.goto(cancel)
        phone.get_by_role("heading", name="This page or link is not valid").wait_for()
        expect(
            phone.get_by_text("This link was sent to an address or number that is no longer on file.")
        ).to_be_visible()
        expect(phone.get_by_role("button", name="Cancel this session")).to_have_count(0)
        expect_no_sign_in_on(phone)
        phone.screenshot(path=shots / "reminder-link-old-address.png", full_page=True)
        assert_accessible(phone)
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_a_signed_in_patient_follows_the_footer_to_the_contact_page(page, personas, clinic, shots):
    session_start(page, personas.patient_user, open_home=False)
    page.goto("/portal/programs/")
    follow(page, page.get_by_role("contentinfo").get_by_role("link", name="Contact the clinic"))
    expect(page.get_by_role("heading", name="Contact the clinic")).to_be_visible()
    expect(page.get_by_role("link", name="frontdesk@clinic.test")).to_be_visible()
    page.screenshot(path=shots / "portal-contact.png", full_page=True)
