"""The account as a ledger reads: newest first with the balance after each line, the same on the account page and in
the portal, from one selector, so that a clerk on the phone and the patient read the same lines in the same order,
and the newest line's balance is the balance at the top of both pages."""

from decimal import Decimal
from html.parser import HTMLParser

import pytest

from apps.billing.models import PackagePurchase
from apps.billing.portal_views import LATEST_LINES_SHOWN
from apps.billing.selectors.ledger import account_lines, ledger_lines, patient_balance
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.packages import package_purchase, package_refund
from apps.billing.services.payments import adjustment_post, adjustment_reverse, payment_record, payment_refund
from apps.billing.templatetags.billing_tags import balance_cell
from apps.core.money import ZERO, money_text
from apps.core.when import day_text

from .helpers import past_appointment
from .packages import patient_at_class

pytestmark = pytest.mark.django_db

STAFF_PAGE = "/billing/patients/{pk}/"
PORTAL_PAGE = "/portal/billing/"
SAME_DAY_ORDER = {"charge": 0, "payment": 1, "refund": 1, "adjustment": 2}  # as `ledger_lines` orders a day


@pytest.fixture
def account(personas, fee_config, offering, massage):
    """The personas' patient (class B: $40 a 45-minute session, the massage package at $200) with every kind of line:
    two session charges, a cash payment and a part refund of it, a write-off, a courtesy credit reversed, a package
    sold, a massage it covers ($0) and then refunded for its unused sessions, and a payment kept as credit, which
    leaves the account in credit."""
    patient = personas.patient
    patient_at_class(patient, "B")
    session = fee_config["90834"]
    for days_ago in (10, 3):
        charge_for_appointment_outcome(
            appointment=past_appointment(patient, service_type=session, days_ago=days_ago), actor=None
        )
    cash = payment_record(actor=personas.front_desk, patient=patient, method="cash", amount="50")
    payment_refund(actor=personas.billing, payment=cash, amount="10", reason="Paid twice")
    adjustment_post(actor=personas.billing, patient=patient, kind="write_off", amount="5", reason="Hardship")
    courtesy = adjustment_post(actor=personas.billing, patient=patient, kind="courtesy", amount="5", reason="Wait")
    adjustment_reverse(actor=personas.billing, adjustment=courtesy, reason="Posted in error")
    package = package_purchase(actor=personas.front_desk, patient=patient, offering=offering)
    charge_for_appointment_outcome(appointment=past_appointment(patient, service_type=massage, days_ago=1), actor=None)
    package_refund(actor=personas.billing, purchase=package, reason="Moving away")
    payment_record(
        actor=personas.front_desk, patient=patient, method="check", amount="100", reference="7", credit_on_account=True
    )
    return patient


# --- the selector --------------------------------------------------------------------------------------------------


def test_the_lines_run_newest_first_and_the_newest_balance_is_the_patients_balance(account):
    lines = account_lines(patient=account)

    # 40 + 40 − 50 + 10 − 5 − 5 + 5 + 200 + 0 − 180 (9 of 10 sessions unused) − 100: in credit.
    assert patient_balance(patient=account) == Decimal("-45.00")
    assert lines[0].balance == patient_balance(patient=account)
    assert [(line.kind, line.row) for line in reversed(lines)] == [
        (line.kind, line.row) for line in ledger_lines(patient=account)
    ]
    assert {line.kind for line in lines} == {"charge", "payment", "refund", "adjustment"}
    assert PackagePurchase.objects.get().charge in [line.row for line in lines]
    assert any(line.kind == "charge" and line.amount == ZERO for line in lines)  # the session the package covered
    assert all(isinstance(line.balance, Decimal) for line in lines)
    # Each balance is the one before it (the older line, below) plus the line's own amount; the oldest starts at 0.
    older = ZERO
    for line in reversed(lines):
        assert line.balance == older + line.amount
        older = line.balance
    assert [line.date for line in lines] == sorted((line.date for line in lines), reverse=True)


def test_lines_of_one_day_keep_one_order_newest_posted_first(account):
    lines = account_lines(patient=account)
    assert lines == account_lines(patient=account)
    same_day = [(a, b) for a, b in zip(lines, lines[1:], strict=False) if a.date == b.date]
    assert len(same_day) >= 5  # the payments, the adjustments and the package were all posted today
    for newer, older in same_day:
        assert (SAME_DAY_ORDER[newer.kind], newer.row.pk) > (SAME_DAY_ORDER[older.kind], older.row.pk)


def test_a_patient_with_no_ledger_has_no_lines(personas):
    assert account_lines(patient=personas.other_patient) == []
    assert patient_balance(patient=personas.other_patient) == ZERO


def test_a_balance_in_a_cell_is_short_and_a_credit_reads_as_a_credit():
    assert balance_cell(Decimal("85")) == "$85.00"
    assert balance_cell(Decimal("-20")) == "$20.00 credit"
    assert balance_cell(ZERO) == "$0.00"


# --- the two pages ------------------------------------------------------------------------------------------------


class _LedgerRows(HTMLParser):
    """The text of each body row's cells in the table under the heading with `heading_id` (less the date the portal
    repeats above a description for phones, which is the row's date cell again)."""

    def __init__(self, heading_id: str):
        super().__init__()
        self.heading_id = heading_id
        self.rows: list[list[str]] = []
        self._seen_heading = self._in_body = self._done = False
        self._cell: list[str] | None = None
        self._in_inline_date = False

    def handle_starttag(self, tag, attrs):
        if self._done:
            return
        if ("id", self.heading_id) in attrs:
            self._seen_heading = True
        elif self._seen_heading and tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
        elif self._in_body and tag == "td":
            self._cell = []
        elif self._cell is not None and ("class", "date-inline") in attrs:
            self._in_inline_date = True

    def handle_endtag(self, tag):
        if tag == "span":
            self._in_inline_date = False
        if self._in_body and tag == "td" and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif self._in_body and tag == "tbody":
            self._in_body, self._done = False, True

    def handle_data(self, data):
        if self._cell is not None and not self._in_inline_date:
            self._cell.append(data)


def _rows(html: str, heading_id: str) -> list[list[str]]:
    parser = _LedgerRows(heading_id)
    parser.feed(html)
    return parser.rows


def _staff_rows(client, patient) -> list[tuple[str, ...]]:
    """(date, entry, amount, balance) of each row of the account page's ledger (less its fee class and actions)."""
    html = client.get(STAFF_PAGE.format(pk=patient.pk)).content.decode()
    return [(row[0], row[1], row[3], row[4]) for row in _rows(html, "ledger-h")]


def _portal_rows(client) -> list[tuple[str, ...]]:
    html = client.get(PORTAL_PAGE).content.decode()
    return [tuple(row) for row in _rows(html, "activity-h")]


def test_the_account_page_and_the_portal_show_the_same_lines_with_the_same_balances(personas, account, login):
    staff = _staff_rows(login(personas.billing), account)
    portal = _portal_rows(login(personas.patient_user))

    assert staff == portal
    expected = [
        (day_text(line.date), line.description, money_text(line.amount), balance_cell(line.balance))
        for line in account_lines(patient=account)
    ]
    assert staff == expected
    portal_html = login(personas.patient_user).get(PORTAL_PAGE).content.decode()
    for line in account_lines(patient=account):  # the date a phone shows above the description is the line's own
        assert f'<span class="date-inline">{day_text(line.date)}</span>{line.description}' in portal_html
    assert staff[0][3] == "$45.00 credit"  # the newest line's balance, as the top of both pages has it in words
    for client, url in (
        (login(personas.billing), STAFF_PAGE.format(pk=account.pk)),
        (login(personas.patient_user), PORTAL_PAGE),
    ):
        assert "$45.00 credit on account" in client.get(url).content.decode()


def test_the_account_page_keeps_each_lines_actions(personas, account, login):
    page = login(personas.billing).get(STAFF_PAGE.format(pk=account.pk)).content.decode()
    write_off = next(line.row for line in account_lines(patient=account) if line.description.startswith("Write-off"))
    assert f"/billing/adjustments/{write_off.pk}/reverse/" in page
    assert page.count(">Receipt</a>") == 3  # the cash payment, its refund and the check
    assert page.count(">Refund…</button>") == 2  # the $40 left of the cash payment, and the check


def test_the_portal_lists_the_latest_lines_and_says_when_there_are_more(personas, fee_config, login):
    patient = personas.patient
    client = login(personas.patient_user)
    for _ in range(LATEST_LINES_SHOWN):
        payment_record(actor=personas.front_desk, patient=patient, method="cash", amount="1", credit_on_account=True)
    rows = _portal_rows(client)
    assert len(rows) == LATEST_LINES_SHOWN
    assert "Showing the latest" not in client.get(PORTAL_PAGE).content.decode()

    newest = payment_record(
        actor=personas.front_desk, patient=patient, method="cash", amount="2", credit_on_account=True
    )
    rows = _portal_rows(client)
    assert len(rows) == LATEST_LINES_SHOWN
    assert rows[0][1].endswith(f"receipt {newest.receipt_number}, above the balance: kept as credit on account")
    assert rows[0][3] == "$52.00 credit"  # the balance still counts the line left off
    assert (
        "Showing the latest 50 entries; your statements list every month." in client.get(PORTAL_PAGE).content.decode()
    )
    assert len(_staff_rows(login(personas.billing), patient)) == LATEST_LINES_SHOWN + 1  # staff see every line


def _more_lines(personas, patient, session, *, days_ago: int) -> None:
    charge_for_appointment_outcome(
        appointment=past_appointment(patient, service_type=session, days_ago=days_ago), actor=None
    )
    cash = payment_record(actor=personas.front_desk, patient=patient, method="cash", amount="20")
    payment_refund(actor=personas.billing, payment=cash, amount="5", reason="Paid twice")
    courtesy = adjustment_post(actor=personas.billing, patient=patient, kind="courtesy", amount="1", reason="Wait")
    adjustment_reverse(actor=personas.billing, adjustment=courtesy, reason="Posted in error")


@pytest.mark.parametrize(
    ("who", "heading", "shown"),
    [("billing", "ledger-h", 13 * 5), ("patient_user", "activity-h", LATEST_LINES_SHOWN)],
)
def test_neither_page_asks_more_of_the_database_for_more_lines(
    personas, fee_config, login, django_assert_max_num_queries, who, heading, shown
):
    patient = personas.patient
    session = fee_config["90834"]
    _more_lines(personas, patient, session, days_ago=30)
    client = login(getattr(personas, who))
    url = STAFF_PAGE.format(pk=patient.pk) if who == "billing" else PORTAL_PAGE
    with django_assert_max_num_queries(30) as few:
        assert client.get(url).status_code == 200
    for days_ago in range(20, 8, -1):  # twelve more sessions, each with its payment, refund and reversed credit
        _more_lines(personas, patient, session, days_ago=days_ago)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert len(_rows(page, heading)) == shown


def test_lines_of_one_day_read_in_the_same_order_on_both_pages(personas, fee_config, login):
    """A session charged, paid twice and written off, all on one day: ordered by kind, then as posted (never by the
    hour, so the order is the same whenever the test runs), the newest first on both pages."""
    patient = personas.patient
    charge = charge_for_appointment_outcome(
        appointment=past_appointment(patient, service_type=fee_config["90834"], days_ago=2), actor=None
    )
    cash = payment_record(actor=personas.front_desk, patient=patient, method="cash", amount="60")
    check = payment_record(actor=personas.front_desk, patient=patient, method="check", amount="40", reference="9")
    adjustment_post(actor=personas.billing, patient=patient, kind="write_off", amount="25", reason="Hardship")
    staff = _staff_rows(login(personas.billing), patient)
    assert [row[1] for row in staff] == [
        "Write-off: Hardship",
        f"Payment by check, receipt {check.receipt_number}",
        f"Payment by cash, receipt {cash.receipt_number}",
        charge.description_shown,
    ]
    assert [row[3] for row in staff] == ["$75.00", "$100.00", "$140.00", "$200.00"]
    assert staff == _portal_rows(login(personas.patient_user))
