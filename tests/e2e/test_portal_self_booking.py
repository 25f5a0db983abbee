"""A newcomer books their first session online on a phone; a patient moves a session on a desktop. Each page
checked with axe."""

import datetime as dt

import pytest

from apps.accounts.models import TherapistProfile
from apps.accounts.roles import Role
from apps.billing.demo import config_seed
from apps.core import clock
from apps.scheduling import services as scheduling
from apps.scheduling.models import Appointment, WorkingHours
from tests.e2e.conftest import PHONE, assert_accessible, follow, next_monday, session_start
from tests.factories import PatientFactory, ServiceTypeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _online_therapist(therapist) -> None:
    for weekday in range(5):
        WorkingHours.objects.create(therapist=therapist, weekday=weekday, start_time=dt.time(9), end_time=dt.time(17))
    TherapistProfile.objects.filter(user=therapist).update(self_booking=True, accepts_new_patients=True)


def _later_week_with_slots(page) -> None:
    """Step to a later week until one shows free times (the current week may be nearly over)."""
    for _ in range(3):
        if page.locator(".slot-list a").count():
            return
        follow(page, page.get_by_role("link", name="Later week"))


def test_a_newcomer_books_a_first_session_with_its_fee_shown(new_page, personas):
    _online_therapist(personas.therapist)
    ServiceTypeFactory(code="90791", name="Intake assessment", duration_minutes=60)
    config_seed()
    user = UserFactory(email="newcomer@example.test", roles=[Role.PATIENT])
    newcomer = PatientFactory(user=user, legal_first_name="Nia", legal_last_name="Newcomer")

    phone = new_page(PHONE)
    session_start(phone, user)
    phone.get_by_role("button", name="Menu").click()
    follow(phone, phone.get_by_role("navigation", name="Main").get_by_role("link", name="Book", exact=True))
    phone.get_by_role("heading", name="Book a first session").wait_for()
    assert_accessible(phone)
    follow(phone, phone.get_by_role("link", name=f"See free times with {personas.therapist.full_name}"))
    _later_week_with_slots(phone)
    assert_accessible(phone)
    follow(phone, phone.locator(".slot-list a").first)
    phone.get_by_text("Good Faith Estimate").wait_for()
    assert phone.get_by_text("$250.00").first.is_visible()
    assert_accessible(phone)
    follow(phone, phone.get_by_role("button", name="Book this session"))
    phone.get_by_text("Your first session is booked").wait_for()
    assert_accessible(phone)

    appointment = Appointment.objects.get(patient=newcomer)
    assert appointment.therapist == personas.therapist
    assert appointment.service_type.code == "90791"


def test_a_patient_moves_a_session_to_another_free_time(page, personas):
    _online_therapist(personas.therapist)
    individual = ServiceTypeFactory()
    config_seed()
    monday = next_monday() + dt.timedelta(days=7)
    session = scheduling.appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=individual,
        start=clock.local_datetime(monday, dt.time(10)),
    )

    session_start(page, personas.patient_user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions").click()
    card = page.get_by_role("region", name=f"{monday:%A, %B} {monday.day} at 10:00 AM")
    follow(page, card.get_by_role("link", name="Move to another time"))
    page.get_by_role("heading", name=f"Move your session of {monday:%A, %B} {monday.day}").wait_for()
    assert_accessible(page)
    tuesday = monday + dt.timedelta(days=1)
    follow(page, page.get_by_role("link", name=f"2:00 PM on {tuesday:%A, %B} {tuesday.day}", exact=True))
    page.get_by_role("button", name="Move the session").wait_for()
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Move the session"))
    page.get_by_text("Your session is moved").wait_for()

    session.refresh_from_db()
    assert session.start == clock.local_datetime(monday + dt.timedelta(days=1), dt.time(14))
