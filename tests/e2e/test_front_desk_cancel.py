"""Front desk cancels a session inside the late-cancel window: the confirmation dialog states the fee at the patient's
class before anything happens, "Keep the session" changes nothing, and confirming posts exactly that fee."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.billing.demo import config_seed
from apps.billing.models import Charge
from apps.core import clock
from apps.core.money import money_text
from apps.scheduling.models import Appointment
from tests.billing.helpers import approved_assessment
from tests.e2e.conftest import assert_accessible, follow, session_start
from tests.factories import AppointmentFactory, ServiceTypeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def session_in_three_hours(personas):
    """A session three hours from now, whatever the hour: always inside the 24-hour window. The patient is in
    class C (40% of full fees), so the $100 policy fee is $40.00."""
    service = ServiceTypeFactory()
    config_seed()
    approved_assessment(personas.patient, household_size=4, income="49500")
    start = (clock.now() + dt.timedelta(hours=3)).replace(second=0, microsecond=0)
    return AppointmentFactory(
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=service,
        start=start,
        end=start + dt.timedelta(minutes=45),
    )


def test_front_desk_sees_the_late_cancel_fee_in_the_confirmation_dialog(page, personas, session_in_three_hours):
    session = session_in_three_hours
    session_start(page, personas.front_desk, open_home=False)
    page.goto(f"/schedule/appointments/{session.pk}/")
    page.get_by_label("Reason", exact=True).fill("Called in sick")

    page.get_by_role("button", name="Cancel session…").click()
    dialog = page.get_by_role("dialog", name="Cancel this session?")
    dialog.wait_for()
    assert "This is a late cancellation" in dialog.inner_text()
    assert "$40.00" in dialog.inner_text()
    local_start = timezone.localtime(session.start, clock.clinic_tz())
    assert local_start.strftime("%B") in dialog.inner_text()
    assert_accessible(page)

    dialog.get_by_role("button", name="Keep the session").click()
    dialog.wait_for(state="detached")
    assert Appointment.objects.get(pk=session.pk).status == "booked"
    assert not Charge.objects.exists()

    page.get_by_role("button", name="Cancel session…").click()
    dialog = page.get_by_role("dialog", name="Cancel this session?")
    follow(page, dialog.get_by_role("button", name="Yes, cancel the session"))

    page.get_by_text("Session cancelled.").wait_for()
    assert Appointment.objects.get(pk=session.pk).status == "late_cancelled"
    charge = Charge.objects.get(appointment=session)
    assert money_text(charge.amount) == "$40.00"
    assert Appointment.objects.get(pk=session.pk).cancellation_reason == "Called in sick"


def test_without_javascript_the_confirmation_is_a_page(browser, live_server, personas, session_in_three_hours):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        session_start(page, personas.front_desk, open_home=False)
        page.goto(f"/schedule/appointments/{session_in_three_hours.pk}/")
        follow(page, page.get_by_role("button", name="Cancel session…"))
        page.get_by_role("heading", name="Cancel this session?").wait_for()
        assert "$40.00" in page.locator("main").inner_text()
        assert Appointment.objects.get(pk=session_in_three_hours.pk).status == "booked"
        follow(page, page.get_by_role("button", name="Yes, cancel the session"))
        assert Appointment.objects.get(pk=session_in_three_hours.pk).status == "late_cancelled"
    finally:
        context.close()
