"""The record lists each statement as the patient received it: what was posted after its month up to the issue, and
what it asked them to pay (the balance at issue, or a payment plan's instalment), in the statement page's figures
and words."""

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.billing.portal_views import _statement_context
from apps.billing.services.common import add_months
from apps.billing.services.payments import payment_record
from apps.billing.services.statements import statement_issue
from apps.core import clock
from apps.core.kept import held_release
from apps.records.documents import record_html, record_json
from apps.records.selectors import patient_record
from tests.billing.test_statement_amount_due import _issue, _money_moved_in_december, _november_charge

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(settings.BASE_DIR) / "docs" / "records.schema.json").read_text())


@pytest.fixture
def fee_config(individual_service):
    """The demo clinic's fees, by code, as the statement tests' helpers read them."""
    return {"90834": individual_service}


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("plan", "ask"),
    [
        (False, "Amount due: $295.00 by January 4, 2027"),
        (True, "Next payment-plan installment: $73.75 by December 15, 2026"),
    ],
)
def test_the_record_and_the_statement_page_say_what_was_asked_and_why(personas, fee_config, login, plan, ask):
    patient = personas.patient
    _november_charge(patient, fee_config)
    _money_moved_in_december(patient, personas, plan=plan)
    statement = _issue(patient, personas)

    record = patient_record(user=personas.patient_user, patient=patient)

    (shown,) = record["statements"]
    page = _words(login(personas.patient_user).get(f"/portal/billing/statements/{statement.pk}/").content.decode())
    assert ask in page
    assert (shown["closing_balance"], shown["balance_at_issue"]) == (
        statement.closing_balance,
        statement.balance_at_issue,
    )
    assert (shown["asks_for"], shown["amount_due"], shown["pay_by"]) == (
        statement.asks_for,
        statement.amount_due,
        statement.pay_by,
    )
    assert [(line["date"], line["kind"], line["description"], line["amount"]) for line in shown["posted_after"]] == [
        (line.date, line.kind, line.description, line.amount) for line in _statement_context(statement)["lines_after"]
    ]
    assert [line["kind"] for line in shown["posted_after"]] == ["payment", "refund", "adjustment"]
    pdf = _words(record_html(record))
    assert ask in pdf
    for line in shown["posted_after"]:
        assert line["description"] in pdf and line["description"] in page
    statements = pdf[pdf.index("Statements (1)") :]  # the month's close, what came after it, then the ask
    assert statements.index("$340.00 owed") < statements.index(shown["posted_after"][0]["description"])
    assert statements.index(shown["posted_after"][-1]["description"]) < statements.index(ask)
    data = json.loads(record_json(record))
    jsonschema.validate(data, SCHEMA)
    assert data["statements"][0]["amount_due"] == str(statement.amount_due)


def test_a_statement_asking_nothing_of_a_patient_in_credit_says_so_in_the_record(personas, fee_config):
    patient = personas.patient
    _november_charge(patient, fee_config, amount="50.00")
    with time_machine.travel("2026-12-03 10:00:00-05:00", tick=False):
        payment_record(actor=personas.billing, patient=patient, method="cash", amount="80", credit_on_account=True)
    _issue(patient, personas)

    record = patient_record(user=personas.patient_user, patient=patient)

    (shown,) = record["statements"]
    assert (shown["asks_for"], str(shown["amount_due"]), shown["instalment_due"]) == ("nothing", "0.00", None)
    assert shown["pay_by"] == dt.date(2027, 1, 4)
    assert "Nothing is due ($30.00 credit on account)" in _words(record_html(record))
    jsonschema.validate(json.loads(record_json(record)), SCHEMA)


def test_more_statements_cost_no_more_queries(personas, fee_config):
    patient = personas.patient
    _november_charge(patient, fee_config)
    first_of_month = clock.local_now().date().replace(day=1)
    months = [add_months(first_of_month, -back) for back in (4, 3, 2, 1)]
    statement_issue(actor=personas.billing, patient=patient, year=months[0].year, month=months[0].month)
    # Each record read as a request reads it, in a transaction of its own: nothing an earlier read held.
    held_release()
    with CaptureQueriesContext(connection) as one:
        patient_record(user=personas.patient_user, patient=patient)
    for month in months[1:]:
        payment_record(actor=personas.billing, patient=patient, method="cash", amount="10")
        statement_issue(actor=personas.billing, patient=patient, year=month.year, month=month.month)

    held_release()
    with CaptureQueriesContext(connection) as four:
        record = patient_record(user=personas.patient_user, patient=patient)

    assert len(record["statements"]) == 4
    assert len(four.captured_queries) == len(one.captured_queries)
