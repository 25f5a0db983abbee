"""Each charge, payment, refund and adjustment is on exactly one statement, and each statement opens where the
patient's last one closed: what was posted after a month ended and before its statement went out is listed on that
statement (it asks for it), never again on the next month's. The portal page, the PDF and the API read a
statement's lines from one selector, so they list the same. Times come from the real clock in the clinic's zone:
the two months before this one, each run issued at the time of day it is now."""

import datetime as dt
import html
from decimal import Decimal

import pytest
import time_machine

from apps.billing.models import Charge, Statement
from apps.billing.portal_views import _statement_context
from apps.billing.selectors.ledger import statement_body
from apps.billing.services.payments import payment_record
from apps.billing.services.statements import statement_issue, statements_issue_for_month
from apps.core import clock
from apps.core.errors import Conflict
from tests.factories import PatientFactory

from .pdf_layout import laid_out

pytestmark = pytest.mark.django_db


def _months() -> tuple[dt.date, dt.date]:
    """The first days of the month before last and of last month: both have ended."""
    this_month = clock.local_now().date().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    return (last_month - dt.timedelta(days=1)).replace(day=1), last_month


def _at(day: dt.date, *, minutes: int = 0) -> dt.datetime:
    """`day` at the time of day it is now on the clinic's clock (any hour the suite runs at), `minutes` later."""
    return clock.local_datetime(day, clock.local_now().time().replace(tzinfo=None)) + dt.timedelta(minutes=minutes)


def _charge(patient, service_type, *, on: dt.datetime, amount: str) -> Charge:
    return Charge.objects.create(
        patient=patient,
        kind="session",
        service_type=service_type,
        service_date=on.astimezone(clock.clinic_tz()).date(),
        description="Individual psychotherapy",
        full_fee=Decimal(amount),
        amount=Decimal(amount),
        class_code="A",
        class_label="Full fee",
        posted_at=on,
    )


def _run(month: dt.date, *, at: dt.datetime | None = None) -> int:
    if at is None:
        return statements_issue_for_month(actor=None, year=month.year, month=month.month)
    with time_machine.travel(at, tick=False):
        return statements_issue_for_month(actor=None, year=month.year, month=month.month)


@pytest.fixture
def two_runs(personas, fee_config):
    """First month: a $200 session on the 16th. After it ends, before its run on the 3rd: a $120 session charged on
    the 2nd (a note signed late) and $50 paid in cash. Second month: a $90 session on the 20th. Each month's run
    issues the patient's statement; the second month's runs now."""
    first, second = _months()
    patient = personas.patient
    session = fee_config["90834"]
    _charge(patient, session, on=_at(first.replace(day=16)), amount="200.00")
    _charge(patient, session, on=_at(second.replace(day=2)), amount="120.00")
    with time_machine.travel(_at(second.replace(day=2), minutes=5), tick=False):
        payment_record(actor=personas.front_desk, patient=patient, method="cash", amount="50")
    assert _run(first, at=_at(second.replace(day=3))) == 1
    _charge(patient, session, on=_at(second.replace(day=20)), amount="90.00")
    assert _run(second) == 1
    return Statement.objects.get(period_start=first), Statement.objects.get(period_start=second)


def _listed(statement) -> list[tuple[str, Decimal]]:
    body = statement_body(statement=statement)
    return [(line.kind, line.amount) for line in body.lines + body.lines_after]


def test_what_was_posted_before_a_months_statement_went_out_is_on_that_statement_only(two_runs):
    first, second = two_runs
    assert _listed(first) == [("charge", Decimal("200.00")), ("charge", Decimal("120.00")), ("payment", Decimal("-50"))]
    assert _listed(second) == [("charge", Decimal("90.00"))]
    listed_rows = [line.row for s in two_runs for line in statement_body(statement=s).lines]
    listed_rows += [line.row for s in two_runs for line in statement_body(statement=s).lines_after]
    assert len(listed_rows) == len({(type(row), row.pk) for row in listed_rows}) == 4


def test_each_statement_opens_where_the_last_one_closed_and_its_lines_add_up(two_runs):
    first, second = two_runs
    assert (first.opening_balance, first.closing_balance, first.balance_at_issue) == (
        Decimal("0.00"),
        Decimal("270.00"),
        Decimal("270.00"),
    )
    assert second.opening_balance == first.closing_balance
    assert (second.closing_balance, second.balance_at_issue) == (Decimal("360.00"), Decimal("360.00"))
    for statement in two_runs:
        body = statement_body(statement=statement)
        in_month = sum((line.amount for line in body.lines), Decimal(0))
        after = sum((line.amount for line in body.lines_after), Decimal(0))
        assert statement.opening_balance + in_month + after == statement.closing_balance
    assert statement_body(statement=first).balance_at_period_end == Decimal("200.00")


def test_running_a_month_again_changes_nothing(two_runs, personas):
    first, second = two_runs
    before = list(Statement.objects.order_by("pk").values())
    assert _run(first.period_start) == 0
    assert _run(second.period_start) == 0
    again = statement_issue(
        actor=personas.billing, patient=personas.patient, year=second.period_start.year, month=second.period_start.month
    )
    assert again.replayed and again.pk == second.pk
    assert list(Statement.objects.order_by("pk").values()) == before
    assert [_listed(statement) for statement in (first, second)] == [
        _listed(Statement.objects.get(pk=statement.pk)) for statement in (first, second)
    ]


def test_a_month_before_the_last_statement_is_not_issued_after_it(personas, fee_config):
    """Issued late, an earlier month's statement would list again what the later one did."""
    first, second = _months()
    patient = personas.patient
    other = PatientFactory()
    for someone in (patient, other):
        _charge(someone, fee_config["90834"], on=_at(first.replace(day=16)), amount="200.00")
    statement_issue(actor=personas.billing, patient=patient, year=second.year, month=second.month)
    with pytest.raises(Conflict) as refused:
        statement_issue(actor=personas.billing, patient=patient, year=first.year, month=first.month)
    assert f"{second:%B %Y}" in refused.value.message
    assert _run(first) == 1  # only the patient with no later statement
    assert not Statement.objects.filter(patient=patient, period_start=first).exists()


def _words(text: str) -> str:
    return " ".join(html.unescape(text).split())


def test_the_page_the_pdf_and_the_api_list_the_same_lines(two_runs, personas, login):
    for statement in two_runs:
        body = statement_body(statement=statement)
        portal = login(personas.patient_user).get(f"/portal/billing/statements/{statement.pk}/")
        page = _words(portal.content.decode())
        _pages, laid = laid_out("billing/pdf/statement.html", _statement_context(statement))
        pdf = _words(" ".join(word.text for word in laid))
        api = login(personas.billing, api=True).get(f"/api/statements/{statement.pk}/").json()
        assert [(line["kind"], Decimal(line["amount"]), line["after_period"]) for line in api["lines"]] == [
            *((line.kind, line.amount, False) for line in body.lines),
            *((line.kind, line.amount, True) for line in body.lines_after),
        ]
        for shown in (page, pdf):
            for line in body.lines + body.lines_after:
                assert line.description in shown
            assert shown.count("Individual psychotherapy") == sum(
                1 for line in body.lines + body.lines_after if line.kind == "charge"
            )
            assert shown.count("Payment by cash") == sum(
                1 for line in body.lines + body.lines_after if line.kind == "payment"
            )
        assert api["opening_balance"] == str(statement.opening_balance)
        assert api["closing_balance"] == str(statement.closing_balance)
    first, second = two_runs
    second_page = _words(login(personas.patient_user).get(f"/portal/billing/statements/{second.pk}/").content.decode())
    assert "Payment by cash" not in second_page
