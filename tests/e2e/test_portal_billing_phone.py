"""A patient reads their money on a phone: the account's lines, a statement and a Good Faith Estimate fit the
screen; the account's and the statement's lines show every amount whole (the estimate's six columns scroll in
their own box, the page does not)."""

import datetime as dt

import pytest

from apps.billing.demo import config_seed
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.estimates import gfe_issue_on_request
from apps.billing.services.payments import payment_record, payment_refund
from apps.billing.services.statements import statement_issue
from apps.core import clock
from tests.e2e.conftest import PHONE, session_start
from tests.factories import AppointmentFactory, ServiceTypeFactory

pytestmark = pytest.mark.django_db(transaction=True)

# How wide the page is, and the headings of its tables wider than their box (part of them out of sight).
OVERFLOW = """() => ({
  page: document.documentElement.scrollWidth,
  tables: [...document.querySelectorAll('main table')]
    .filter(t => t.closest('.table-wrap') ? t.scrollWidth > t.closest('.table-wrap').clientWidth
                                          : t.getBoundingClientRect().right > window.innerWidth)
    .map(t => t.querySelector('th, caption')?.innerText ?? '?'),
})"""


@pytest.fixture
def account(personas):
    """Last month's session charged on its day, a payment and a part refund of it, last month's statement and a
    Good Faith Estimate for the coming months."""
    service = ServiceTypeFactory(code="90834", name="Individual psychotherapy, 45 min", duration_minutes=45)
    config_seed()
    today = clock.local_now().date()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    start = clock.local_datetime(last_month.replace(day=10), dt.time(10))
    session = AppointmentFactory(
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=service,
        start=start,
        end=start + dt.timedelta(minutes=45),
        status="completed",
    )
    with clock.recorded_at(start + dt.timedelta(hours=1)):
        charge_for_appointment_outcome(appointment=session, actor=personas.therapist)
    payment = payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="150")
    payment_refund(actor=personas.billing, payment=payment, amount="25", reason="Paid twice for parking")
    statement = statement_issue(
        actor=personas.billing, patient=personas.patient, year=last_month.year, month=last_month.month
    )
    estimate = gfe_issue_on_request(
        actor=personas.front_desk,
        patient=personas.patient,
        service_type=service,
        therapist=personas.therapist,
        expected_count=10,
        period_start=today + dt.timedelta(days=7),
        period_end=today + dt.timedelta(days=90),
    )
    return statement, estimate


def test_money_pages_fit_a_phone_and_no_amount_is_cut_off(page, personas, account):
    statement, estimate = account
    page.set_viewport_size(PHONE)
    session_start(page, personas.patient_user)
    for path, tables_whole in (
        ("/portal/billing/", True),
        (f"/portal/billing/statements/{statement.pk}/", True),
        (f"/portal/billing/estimates/{estimate.pk}/", False),
    ):
        assert page.goto(path).status == 200
        seen = page.evaluate(OVERFLOW)
        assert seen["page"] <= PHONE["width"], f"{path} scrolls sideways ({seen['page']} px)"
        if tables_whole:
            assert not seen["tables"], f"{path}: tables wider than their box: {seen['tables']}"
