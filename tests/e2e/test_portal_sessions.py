"""The front desk books a weekly series; the patient finds it in the portal and cancels one, by keyboard alone."""

import datetime as dt

import pytest

from apps.core import clock
from apps.scheduling.models import Appointment, WorkingHours
from tests.e2e.conftest import PHONE, assert_accessible, press, session_start, sign_in_by_keyboard, tab_to
from tests.factories import ServiceTypeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _weekday_hours(therapist) -> None:
    for weekday in range(5):
        WorkingHours.objects.create(therapist=therapist, weekday=weekday, start_time=dt.time(8), end_time=dt.time(18))


def test_front_desk_books_a_weekly_series_and_the_patient_cancels_one_by_keyboard(page, new_page, personas):
    _weekday_hours(personas.therapist)
    service = ServiceTypeFactory()
    today = clock.local_now().date()
    first_monday = today + dt.timedelta(days=(7 - today.weekday()) or 7) + dt.timedelta(days=7)

    # The front desk books four weekly sessions through the series form.
    session_start(page, personas.front_desk)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    page.get_by_role("link", name="Book a weekly series").click()
    page.get_by_label("Therapist").select_option(label=personas.therapist.full_name)
    page.get_by_label("Patient").select_option(label=personas.patient.choice_label)
    page.get_by_label("Service type").select_option(label=str(service))
    page.get_by_label("First date").fill(first_monday.isoformat())
    page.get_by_label("Time").fill("10:00")
    page.get_by_label("Repeats").select_option(label="Every week")
    page.get_by_label("Ends").select_option(label="After a number of sessions")
    page.get_by_label("Number of sessions").fill("4")
    page.get_by_label("Telehealth (video)").check()
    assert_accessible(page)
    page.get_by_role("button", name="Book the series").click()
    page.get_by_text("Series booked: 4 sessions").wait_for()
    assert_accessible(page)

    # The patient, on a phone, uses only the keyboard.
    phone = new_page(PHONE)
    sign_in_by_keyboard(phone, personas.patient_user)
    next_session = phone.get_by_role("region", name="Your next session")
    next_session.get_by_text(f"{first_monday:%A, %B} {first_monday.day} at 10:00 AM").wait_for()
    assert next_session.get_by_role("link", name="Join the video session").is_visible()
    assert_accessible(phone)

    press(phone, next_session.get_by_role("link", name="All your sessions"))
    phone.get_by_role("heading", name="Your sessions").wait_for()
    assert_accessible(phone)
    second = first_monday + dt.timedelta(days=7)
    second_card = phone.get_by_role("region", name=f"{second:%A, %B} {second.day} at 10:00 AM")
    press(phone, second_card.get_by_role("link", name="Cancel this session…"))
    phone.get_by_text("there is no fee").wait_for()
    assert_accessible(phone)
    tab_to(phone, phone.get_by_label("Reason (optional)"))
    phone.keyboard.type("Travelling for work")
    press(phone, phone.get_by_role("button", name="Cancel the session"))
    phone.get_by_text("Session cancelled. No fee applies.").wait_for()

    assert phone.get_by_role("link", name="Cancel this session…").count() == 3
    statuses = list(
        Appointment.objects.filter(patient=personas.patient).order_by("start").values_list("status", flat=True)
    )
    assert statuses == ["booked", "cancelled", "booked", "booked"]
