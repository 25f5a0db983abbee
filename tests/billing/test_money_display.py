"""Amounts read the same everywhere ($1,200.00), form errors name fields as people do, and statements carry the
clinic's mailing address and a due date."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.template import Context, Template
from django.template.loader import render_to_string

from apps.billing.forms import PaymentForm
from apps.billing.portal_views import _statement_context
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import payment_record
from apps.billing.services.statements import statement_issue
from apps.core.clock import clinic_tz
from apps.core.forms import form_errors_text
from apps.core.models import ClinicSettings
from apps.core.money import money_text
from apps.core.time_zones import zone_time

from .helpers import past_appointment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1200, "$1,200.00"),
        (Decimal("1234567.5"), "$1,234,567.50"),
        ("999.999", "$1,000.00"),
        (0, "$0.00"),
        (Decimal("-12.5"), "−$12.50"),
        (Decimal("-1200"), "−$1,200.00"),
        (None, ""),
    ],
)
def test_money_is_shown_with_thousands_separators_and_cents(value, shown):
    assert money_text(value) == shown
    # Built into every template: no {% load %} needed, in pages, PDFs and emails alike.
    assert Template("{{ value|money }}").render(Context({"value": value})) == shown


def test_a_credit_is_still_worded_as_a_credit():
    rendered = Template("{% load billing_tags %}{{ b|balance_words }} / {{ d|balance_words }}").render(
        Context({"b": Decimal("-3950"), "d": Decimal("1050")})
    )
    assert rendered == "$3,950.00 credit on account / $1,050.00 owed"


def _owe(patient, catalogue, *sessions):
    for code, days in sessions:
        charge_for_appointment_outcome(
            appointment=past_appointment(patient, service_type=catalogue[code], days_ago=days), actor=None
        )


def test_the_receipt_page_shows_thousands_separators(personas, fee_config, login):
    _owe(personas.patient, fee_config, ("90791", 30), ("90834", 20), ("90834", 10), ("90834", 5), ("90834", 3))
    payment = payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="1050")
    page = login(personas.front_desk).get(f"/billing/receipts/{payment.pk}/").content.decode()
    assert "$1,050.00" in page and "$1050.00" not in page
    # A receipt names the clinic and tells when in words, with the clinic's clock named after its place.
    assert ClinicSettings.load().name in page and not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", page)
    assert re.search(rf"\d{{1,2}}:\d\d [AP]M {zone_time(clinic_tz())}", page)
    aging = login(personas.billing).get("/billing/reports/aging/").content.decode()
    assert "$1050" not in aging


def test_the_payment_instalment_email_shows_thousands_separators():
    context = {"patient_first_name": "Pat", "amount": "1200.00", "due_on": "2026-04-01", "pay_url": "https://c.test/"}
    for suffix in ("txt", "html"):
        assert "$1,200.00" in render_to_string(f"notifications/messages/plan_instalment_overdue.{suffix}", context)


def test_money_fields_take_what_people_type_and_refuse_in_dollars():
    typed = PaymentForm({"method": "cash", "amount": "$1,200.00"})
    assert typed.is_valid(), typed.errors
    assert typed.cleaned_data["amount"] == Decimal("1200.00")
    refused = PaymentForm({"method": "cash", "amount": "0"})
    assert not refused.is_valid()
    assert form_errors_text(refused) == "Amount: Enter an amount of at least $0.01."


def test_a_refused_payment_form_says_why_under_the_fields_label(personas, fee_config, login):
    client = login(personas.front_desk)
    response = client.post(
        f"/billing/patients/{personas.patient.pk}/payments/",
        {"method": "check", "amount": "0", "reference": "12"},
    )
    page = response.content.decode()
    assert re.search(
        r'<label for="id_amount">Amount <span aria-hidden="true">\*</span></label>\s*<input[^>]*>\s*'
        r'<div role="alert"><ul class="errorlist"><li>Enter an amount of at least \$0\.01\.</li>',
        page,
    )
    assert "amount:" not in page and "Ensure this value" not in page


def test_the_statement_carries_the_clinics_mailing_address_and_a_due_date(personas, fee_config, login, settings):
    settings.CLINIC_STATEMENT_DUE_DAYS = 30
    ClinicSettings.objects.update_or_create(
        id=1, defaults={"name": "Mind-Body Clinic", "address": "12 Elm Street\nSomerville, MA 02144"}
    )
    with time_machine.travel("2026-02-20 12:00:00-05:00", tick=False):
        _owe(personas.patient, fee_config, ("90791", 10), ("90834", 5), ("90834", 3), ("90834", 2), ("90834", 1))
    with time_machine.travel("2026-03-02 12:00:00-05:00", tick=False):
        statement = statement_issue(actor=personas.billing, patient=personas.patient, year=2026, month=2)
    assert statement.due_on == dt.date(2026, 4, 1)
    page = login(personas.patient_user).get(f"/portal/billing/statements/{statement.pk}/").content.decode()
    pdf_html = render_to_string("billing/pdf/statement.html", _statement_context(statement))
    for html in (page, pdf_html):
        assert "12 Elm Street<br>Somerville, MA 02144" in html
        assert "Amount due: $1,050.00 by April 1, 2026" in html


def test_a_statement_in_credit_asks_for_nothing(personas, fee_config):
    with time_machine.travel("2026-02-20 12:00:00-05:00", tick=False):
        payment_record(
            actor=personas.front_desk, patient=personas.patient, method="cash", amount="50", credit_on_account=True
        )
    with time_machine.travel("2026-03-02 12:00:00-05:00", tick=False):
        statement = statement_issue(actor=personas.billing, patient=personas.patient, year=2026, month=2)
    html = render_to_string("billing/pdf/statement.html", _statement_context(statement))
    assert "Nothing is due" in html and "Please pay" not in html
