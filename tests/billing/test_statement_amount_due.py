"""A statement asks for what the patient owes on the day it is issued, never for the month's closing balance once
money has moved since: it lists what was posted after the month up to the moment of issue, asks nothing of a
patient in credit, and with a payment plan asks for the next instalment. Every place that shows it (the portal's
page, the PDF staff and patients download, the email) says the same, and the monthly run issues the same."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from apps.billing.models import Charge, Statement
from apps.billing.portal_views import _statement_context
from apps.billing.services.payments import adjustment_post, payment_record, payment_refund
from apps.billing.services.plans import payment_plan_create
from apps.billing.services.statements import statement_issue, statements_issue_for_month
from apps.core import clock
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from tests.factories import PatientFactory

from .pdf_layout import laid_out

pytestmark = pytest.mark.django_db

ISSUE_DAY = "2026-12-05 11:00:00-05:00"  # November has ended


def _november_charge(patient, fee_config, amount: str = "340.00") -> None:
    Charge.objects.create(
        patient=patient,
        kind="session",
        service_type=fee_config["90834"],
        service_date=dt.date(2026, 11, 12),
        description="Individual psychotherapy",
        full_fee=Decimal(amount),
        amount=Decimal(amount),
        class_code="A",
        class_label="Full fee",
        posted_at=clock.local_datetime(dt.date(2026, 11, 12), dt.time(17, 0)),
    )


def _money_moved_in_december(patient, personas, *, plan: bool = False) -> None:
    """On December 5: $40 cash paid, $15 of it refunded, $20 written off (owing $295), and perhaps a 4-part plan."""
    with time_machine.travel(ISSUE_DAY, tick=False):
        paid = payment_record(actor=personas.billing, patient=patient, method="cash", amount="40")
        payment_refund(actor=personas.billing, payment=paid, amount="15", reason="Paid twice for parking")
        adjustment_post(actor=personas.billing, patient=patient, kind="write_off", amount="20", reason="Hardship")
        if plan:
            payment_plan_create(actor=personas.billing, patient=patient, instalments=4, first_due=dt.date(2026, 12, 15))


def _issue(patient, personas) -> Statement:
    with time_machine.travel(ISSUE_DAY, tick=False):
        return statement_issue(actor=personas.billing, patient=patient, year=2026, month=11)


def test_the_statement_asks_for_what_is_owed_on_the_day_it_is_issued(personas, fee_config):
    patient = personas.patient
    _november_charge(patient, fee_config)
    _money_moved_in_december(patient, personas)
    statement = _issue(patient, personas)
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("0.00"), Decimal("295.00"))
    assert statement.balance_at_issue == Decimal("295.00")
    assert (statement.amount_due, statement.pay_by) == (Decimal("295.00"), dt.date(2027, 1, 4))
    context = _statement_context(statement)
    assert context["body"].balance_at_period_end == Decimal("340.00")
    assert [(line.kind, line.amount) for line in context["lines_after"]] == [
        ("payment", Decimal("-40.00")),
        ("refund", Decimal("15.00")),
        ("adjustment", Decimal("-20.00")),
    ]
    after = sum((line.amount for line in context["lines_after"]), Decimal(0))
    assert context["body"].balance_at_period_end + after == statement.closing_balance == statement.balance_at_issue


def test_a_statement_issued_before_any_later_money_lists_nothing_after_the_month(personas, fee_config):
    """What is posted after the moment of issue is the next statement's: an issued statement never changes."""
    patient = personas.patient
    _november_charge(patient, fee_config)
    statement = _issue(patient, personas)
    with time_machine.travel("2026-12-07 09:00:00-05:00", tick=False):
        payment_record(actor=personas.billing, patient=patient, method="cash", amount="40")
    statement.refresh_from_db()
    assert _statement_context(statement)["lines_after"] == []
    assert statement.amount_due == statement.balance_at_issue == Decimal("340.00")


def test_a_patient_in_credit_is_asked_to_pay_nothing(personas, fee_config, login):
    patient = personas.patient
    _november_charge(patient, fee_config, amount="50.00")
    with time_machine.travel("2026-12-03 10:00:00-05:00", tick=False):
        payment_record(actor=personas.billing, patient=patient, method="cash", amount="80", credit_on_account=True)
    statement = _issue(patient, personas)
    assert (statement.closing_balance, statement.balance_at_issue) == (Decimal("-30.00"), Decimal("-30.00"))
    assert _statement_context(statement)["body"].balance_at_period_end == Decimal("50.00")
    assert statement.amount_due == Decimal("0.00")
    html = _portal_text(login, personas, statement)
    assert "Nothing is due" in html and "$30.00 credit on account" in html
    assert "Please pay" not in html


def test_with_a_payment_plan_the_statement_asks_for_the_next_instalment(personas, fee_config, login):
    patient = personas.patient
    _november_charge(patient, fee_config)
    _money_moved_in_december(patient, personas, plan=True)
    statement = _issue(patient, personas)
    assert (statement.instalment_due, statement.instalment_due_on) == (Decimal("73.75"), dt.date(2026, 12, 15))
    assert (statement.amount_due, statement.pay_by) == (Decimal("73.75"), dt.date(2026, 12, 15))
    assert "payment plan" in _portal_text(login, personas, statement)


def _portal_text(login, personas, statement) -> str:
    page = login(personas.patient_user).get(f"/portal/billing/statements/{statement.pk}/")
    assert page.status_code == 200
    return " ".join(page.content.decode().split())


@pytest.mark.parametrize("plan", [False, True])
def test_the_page_the_pdf_and_the_email_say_the_same(personas, fee_config, login, plan):
    patient = personas.patient
    _november_charge(patient, fee_config)
    _money_moved_in_december(patient, personas, plan=plan)
    statement = _issue(patient, personas)
    ask = (
        "Next payment-plan installment: $73.75 by December 15, 2026"
        if plan
        else "Amount due: $295.00 by January 4, 2027"
    )
    portal = _portal_text(login, personas, statement)
    _pages, words = laid_out("billing/pdf/statement.html", _statement_context(statement))
    pdf = " ".join(" ".join(word.text for word in words).split())
    message = Message.objects.get(purpose="statement_ready", patient=patient)
    email = message_render(template=message.template, context=message.context, channel="email")
    emails = (" ".join(email.text.split()), " ".join(email.html.split()))
    for shown in (portal, pdf, *emails):
        assert ask in shown and "Please pay" not in shown
    for shown in (portal, pdf):  # the month's close, then what was owed when the statement was issued
        assert shown.index("$340.00 owed") < shown.index("Balance on December 5, 2026") < shown.index("$295.00 owed")
    assert not any("$340.00" in shown for shown in emails)
    staff = login(personas.billing).get(f"/billing/statements/{statement.pk}/pdf/")
    assert staff.status_code == 200 and staff.content.startswith(b"%PDF")


@pytest.mark.parametrize("plan", [False, True])
def test_the_monthly_run_stores_the_same_figures_as_the_single_issue(personas, fee_config, plan):
    single, batched = PatientFactory(), PatientFactory()
    for patient in (single, batched):
        _november_charge(patient, fee_config)
        _money_moved_in_december(patient, personas, plan=plan)
    by_hand = _issue(single, personas)
    with time_machine.travel(ISSUE_DAY, tick=False):
        assert statements_issue_for_month(actor=None, year=2026, month=11) == 1
    by_run = Statement.objects.get(patient=batched)

    def figures(statement):
        return (statement.balance_at_issue, statement.instalment_due, statement.instalment_due_on)

    assert figures(by_hand) == figures(by_run)
    assert figures(by_run)[0] == Decimal("295.00")

    def context(statement):
        message = Message.objects.get(purpose="statement_ready", patient=statement.patient)
        differs = {"statement_url", "patient_first_name"}  # another statement, another patient
        return {key: value for key, value in message.context.items() if key not in differs}

    assert context(by_hand) == context(by_run)


def test_the_api_gives_the_statements_ask(personas, fee_config, login):
    _november_charge(personas.patient, fee_config)
    _money_moved_in_december(personas.patient, personas, plan=True)
    statement = _issue(personas.patient, personas)
    (row,) = (
        login(personas.billing, api=True).get("/api/statements/", {"patient": personas.patient.pk}).json()["results"]
    )
    assert row["id"] == statement.pk
    assert (row["closing_balance"], row["balance_at_issue"]) == ("295.00", "295.00")
    assert (row["amount_due"], row["pay_by"]) == ("73.75", "2026-12-15")
    one = login(personas.billing, api=True).get(f"/api/statements/{statement.pk}/").json()
    assert {key: value for key, value in one.items() if key not in ("balance_at_period_end", "lines")} == row
    assert one["balance_at_period_end"] == "340.00"
    assert [(line["amount"], line["after_period"]) for line in one["lines"]] == [
        ("340.00", False),
        ("-40.00", True),
        ("15.00", True),
        ("-20.00", True),
    ]
