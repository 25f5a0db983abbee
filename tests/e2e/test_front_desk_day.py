"""The front desk's day in real Chromium: the home page lists today's arrivals with their confirmation, the front
desk checks a patient in from it, and every section links to where its work is done."""

import datetime as dt

import pytest
import time_machine

from apps.scheduling.models import AppointmentStatus
from tests.e2e.conftest import PHONE, assert_accessible, follow, session_start
from tests.e2e.world import front_desk_day_world, portal_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_front_desk_sees_the_day_and_checks_a_patient_in(page, personas):
    portal_world(personas)
    day = front_desk_day_world(personas)
    # Half an hour before the first arrival's session, when its check-in is open (two hours before, on its day).
    with time_machine.travel(day.arrival.start - dt.timedelta(minutes=30), tick=True):
        _sees_the_day_and_checks_in(page, personas, day)


def _sees_the_day_and_checks_in(page, personas, day):
    session_start(page, personas.front_desk)
    page.get_by_role("heading", name="Arrivals today").wait_for()
    assert_accessible(page)

    arrivals = page.get_by_role("list", name="Today's sessions in time order").get_by_role("listitem")
    expected, confirmed = arrivals.nth(0), arrivals.nth(1)
    assert expected.get_by_role("link", name=personas.patient.display_name).is_visible()
    assert expected.get_by_text("Not confirmed").is_visible()
    assert confirmed.get_by_role("link", name=personas.other_patient.display_name).is_visible()
    assert confirmed.get_by_text("Confirmed", exact=True).is_visible()
    assert confirmed.get_by_text("by text reply").is_visible()

    settle = page.get_by_role("region", name="Questionnaires and balances today")
    assert settle.get_by_role("link", name="take a payment").is_visible()
    waiting = page.get_by_role("region", name="Waiting, with nothing offered yet")
    assert waiting.get_by_role("link", name="TMS recovery group").is_visible()
    unconfirmed = page.get_by_role("region", name="Not confirmed", exact=False)
    assert unconfirmed.get_by_text(personas.other_patient.display_name).is_visible()
    failed = page.get_by_role("region", name="Messages that failed", exact=False)
    assert failed.get_by_text(f"Session reminder (email) to {personas.other_patient.email}").is_visible()

    follow(page, page.get_by_role("button", name=f"Check in {personas.patient.display_name}"))
    page.get_by_text("Checked in.").wait_for()
    assert expected.get_by_text("Checked in", exact=True).is_visible()
    assert page.get_by_role("button", name=f"Check in {personas.patient.display_name}").count() == 0
    day.arrival.refresh_from_db()
    assert day.arrival.status == AppointmentStatus.CHECKED_IN
    assert_accessible(page)

    page.set_viewport_size(PHONE)
    page.reload()
    assert_accessible(page)
    follow(page, failed.get_by_role("link", name="Failed messages"))
    page.get_by_role("heading", name="Sent, failed and cancelled").wait_for()
    assert page.get_by_role("button", name="Send again").count() == 1
