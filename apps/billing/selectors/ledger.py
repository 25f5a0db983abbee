"""A patient's ledger: balances summed in the database, the lines in date order (and newest first with the balance
after each, as the account page and the portal show them), what is still owed on each charge, and the patients
billing staff see with their balances; statements read their balances and lines here.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DateTimeField, DecimalField, Exists, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from apps.accounts.roles import Role
from apps.core import clock
from apps.core.money import ZERO
from apps.scheduling.models import Appointment, AppointmentStatus
from apps.scheduling.selectors import overlapping

from ..models import (
    Adjustment,
    CardRefund,
    CardRefundStatus,
    Charge,
    ChargeKind,
    Payment,
    Statement,
    StatementCounting,
)


def amount_total(qs, field_name="amount") -> Decimal:
    return qs.aggregate(total=Coalesce(Sum(field_name), ZERO))["total"]


@dataclass(frozen=True)
class Totals:
    charges: Decimal
    payments: Decimal
    adjustments: Decimal

    @property
    def balance(self) -> Decimal:
        return self.charges - self.payments - self.adjustments


def _subtotal(qs) -> Coalesce:
    summed = qs.order_by().values("patient_id").annotate(total=Sum("amount")).values("total")
    return Coalesce(Subquery(summed, output_field=DecimalField(max_digits=12, decimal_places=2)), ZERO)


def _ledger_subtotals(
    *, until_date: dt.date | None = None, posted_by: dt.datetime | None = None, patient_ref: str = "pk"
) -> dict[str, Coalesce]:
    """The outer row's patient's charges, payments and adjustments (posted up to the end of a day in the clinic's
    time zone, or up to a moment), as correlated subqueries: one query sums them for one patient or a thousand.
    `patient_ref` names the outer row's patient id: "pk" on patients, "patient_id" on rows that belong to a
    patient."""
    charges = Charge.objects.filter(patient=OuterRef(patient_ref))
    payments = Payment.objects.filter(patient=OuterRef(patient_ref))
    adjustments = Adjustment.objects.filter(patient=OuterRef(patient_ref))
    if until_date is not None:
        end = clock.local_datetime(until_date + dt.timedelta(days=1), dt.time(0, 0))
        charges = charges.filter(posted_at__lt=end)
        payments = payments.filter(received_at__lt=end)
        adjustments = adjustments.filter(posted_at__lt=end)
    if posted_by is not None:
        charges = charges.filter(posted_at__lte=posted_by)
        payments = payments.filter(received_at__lte=posted_by)
        adjustments = adjustments.filter(posted_at__lte=posted_by)
    return {"charged": _subtotal(charges), "paid": _subtotal(payments), "adjusted": _subtotal(adjustments)}


def _balance_as_of(until_date: dt.date | None = None, *, posted_by: dt.datetime | None = None):
    subtotals = _ledger_subtotals(until_date=until_date, posted_by=posted_by)
    return subtotals["charged"] - subtotals["paid"] - subtotals["adjusted"]


def ledger_totals(*, patient, until_date: dt.date | None = None) -> Totals:
    """The patient's charges, payments and adjustments (up to a date), summed in one query."""
    from apps.patients.models import Patient

    row = (
        Patient.objects.filter(pk=patient.pk)
        .annotate(**_ledger_subtotals(until_date=until_date))
        .values_list("charged", "paid", "adjusted")
        .first()
    )
    charged, paid, adjusted = row or (ZERO, ZERO, ZERO)
    return Totals(charges=charged, payments=paid, adjustments=adjusted)


def statement_balances(*, patients: QuerySet, start: dt.date, end: dt.date, issued_at: dt.datetime) -> QuerySet:
    """`patients` with what a statement for start..end issued at `issued_at` says about each: where its lines begin
    (`opens_after`, the issue of the patient's last statement; None for their first, which begins with its month),
    the opening balance (where that statement closed, else the balance before the month), the closing balance (the
    balance at the moment of issue, what it asks for, and where the next one opens) and whether anything was posted
    in that window. One query however many patients; the single statement and the monthly run both read it here, so
    they cannot disagree.

    A statement is of what was posted since the last one up to its issue, whatever day the session was: a session
    on the 31st whose note is signed on the 2nd, before the month's statement goes out, is a line on that statement
    (listed after the month's closing day) and never again on the next; signed after it went out, it is on the
    next. So each line is on exactly one statement, and an issued statement never changes."""
    begin = clock.local_datetime(start, dt.time(0, 0))
    previous = Statement.objects.filter(patient=OuterRef("pk"), period_start__lt=start).order_by("-period_start")
    balance_at_issue = _balance_as_of(posted_by=issued_at)
    rows = patients.annotate(
        opens_after=Subquery(previous.values("issued_at")[:1]),
        opening_balance=Coalesce(
            Subquery(previous.values("balance_at_issue")[:1]), _balance_as_of(start - dt.timedelta(days=1))
        ),
        closing_balance=balance_at_issue,
        balance_at_issue=balance_at_issue,
    )
    # Whether to issue at all: anything posted in the window (a row posted at the very moment the last statement
    # was issued is on that one; counting it here only issues a statement that lists nothing, never misses one),
    # and anything posted by the month's end (a first charge on the 1st waits for its own month's statement).
    opens = Coalesce(OuterRef("opens_after"), Value(begin), output_field=DateTimeField())
    stop = clock.local_datetime(end + dt.timedelta(days=1), dt.time(0, 0))
    return rows.annotate(
        posted_since_last=_posted_where(posted_at__gte=opens, posted_at__lte=issued_at),
        posted_by_period_end=_posted_where(posted_at__lt=stop),
    )


def _posted_where(**posted_at) -> Exists:
    """Whether the outer patient has a charge, payment or adjustment posted as `posted_at` says (lookups on the
    posting moment: a payment's is when it was received)."""
    received_at = {name.replace("posted_at", "received_at"): value for name, value in posted_at.items()}
    return (
        Exists(Charge.objects.filter(patient=OuterRef("pk"), **posted_at))
        | Exists(Payment.objects.filter(patient=OuterRef("pk"), **received_at))
        | Exists(Adjustment.objects.filter(patient=OuterRef("pk"), **posted_at))
    )


def session_charged(*, appointment_ref: str, patient_ref: str) -> Exists:
    """Whether the patient at OuterRef(`patient_ref`) was charged on their ledger for the session at
    OuterRef(`appointment_ref`): for a row elsewhere to tell a fee already on the account from one still owed."""
    return Exists(Charge.objects.filter(appointment_id=OuterRef(appointment_ref), patient_id=OuterRef(patient_ref)))


def payment_refunded(*, payment: Payment) -> Decimal:
    """How much of a payment has been refunded so far (its refunds are negative rows)."""
    return -amount_total(Payment.objects.filter(refund_of=payment))


def card_refund_pending(*, payment: Payment) -> Decimal:
    """How much of a card payment is being refunded through the provider, not yet confirmed (nor posted)."""
    pending = CardRefund.objects.filter(payment=payment, status=CardRefundStatus.PENDING).aggregate(s=Sum("amount"))
    return pending["s"] or ZERO


# The provider keeps an idempotency key for 24 hours: a refund left waiting is asked again only within this window;
# past it, billing checks it in the provider's dashboard.
CARD_REFUND_RETRY_UNTIL = dt.timedelta(hours=20)


def card_refunds_waiting(*, user, patient=None, payment=None) -> list[CardRefund]:
    """Card refunds asked of the provider and not yet confirmed (so not on the ledger yet), oldest first, of the
    patients whose accounts `user` sees (or of one `patient`, or on one `payment`), each with its `age` and whether
    it is `past_retry_window` (no longer asked again: to be checked in the provider's dashboard). Billing's home page
    and the account page both list them from here, and a refund form asks first about those on its payment. One
    query."""
    rows = (
        CardRefund.objects.filter(
            status=CardRefundStatus.PENDING, payment__patient__in=ledger_visible_patients(user=user)
        )
        .select_related("payment__patient")
        .order_by("requested_at", "id")
    )
    if patient is not None:
        rows = rows.filter(payment__patient=patient)
    if payment is not None:
        rows = rows.filter(payment=payment)
    now = clock.now()
    waiting = list(rows)
    for card_refund in waiting:
        card_refund.age = now - card_refund.requested_at
        card_refund.past_retry_window = card_refund.age > CARD_REFUND_RETRY_UNTIL
    return waiting


def patient_balance(*, patient) -> Decimal:
    return ledger_totals(patient=patient).balance


def with_patient_balance(rows: QuerySet, *, patient_ref: str = "patient_id") -> QuerySet:
    """Rows that belong to a patient (sessions, enrollments …; patients themselves with `patient_ref="pk"`) annotated
    with `patient_balance`, what the patient owes today (charges − payments − adjustments, as `ledger_totals` sums
    them), in the rows' own query."""
    subtotals = _ledger_subtotals(patient_ref=patient_ref)
    return rows.annotate(patient_balance=subtotals["charged"] - subtotals["paid"] - subtotals["adjusted"])


@dataclass(frozen=True)
class LedgerLine:
    date: dt.date
    kind: str
    description: str
    amount: Decimal  # positive raises the balance
    row: object


def ledger_lines(
    *,
    patient,
    start: dt.date | None = None,
    end: dt.date | None = None,
    counted: str = StatementCounting.POSTED,
    issued_at: dt.datetime | None = None,
    posted_by: dt.datetime | None = None,
    posted_after: dt.datetime | None = None,
) -> list[LedgerLine]:
    """Charges, payments and adjustments in date order (a charge on its session's day), those posted from `start`
    to `end` when given (a statement issued before statements counted what was posted `counted` its charges by
    session date, among those posted by the time it was `issued_at`), after the moment `posted_after` and up to the
    moment `posted_by`. Three queries whatever the length."""
    tz = clock.clinic_tz()
    charges = Charge.objects.filter(patient=patient).select_related("service_type")
    payments = Payment.objects.filter(patient=patient)
    adjustments = Adjustment.objects.filter(patient=patient)
    if posted_by is not None:
        charges = charges.filter(posted_at__lte=posted_by)
        payments = payments.filter(received_at__lte=posted_by)
        adjustments = adjustments.filter(posted_at__lte=posted_by)
    if posted_after is not None:
        charges = charges.filter(posted_at__gt=posted_after)
        payments = payments.filter(received_at__gt=posted_after)
        adjustments = adjustments.filter(posted_at__gt=posted_after)
    by_session = counted == StatementCounting.SESSION_DATE
    if by_session and issued_at is not None:
        charges = charges.filter(posted_at__lte=issued_at)  # what it was issued with, not a session signed since
    if start:
        begin = clock.local_datetime(start, dt.time(0, 0))
        charges = charges.filter(service_date__gte=start) if by_session else charges.filter(posted_at__gte=begin)
        payments = payments.filter(received_at__gte=begin)
        adjustments = adjustments.filter(posted_at__gte=begin)
    if end:
        stop = clock.local_datetime(end + dt.timedelta(days=1), dt.time(0, 0))
        charges = charges.filter(service_date__lte=end) if by_session else charges.filter(posted_at__lt=stop)
        payments = payments.filter(received_at__lt=stop)
        adjustments = adjustments.filter(posted_at__lt=stop)
    lines = [LedgerLine(c.service_date, "charge", c.description_shown, c.amount, c) for c in charges]
    lines += [
        LedgerLine(
            p.received_at.astimezone(tz).date(),
            "refund" if p.is_refund else "payment",
            f"{'Refund' if p.is_refund else 'Payment'} by {_method_words(p)}, receipt {p.receipt_number}"
            + (", above the balance: kept as credit on account" if p.credit_on_account else ""),
            -p.amount,
            p,
        )
        for p in payments
    ]
    lines += [
        LedgerLine(a.posted_at.astimezone(tz).date(), "adjustment", f"{a.get_kind_display()}: {a.reason}", -a.amount, a)
        for a in adjustments
    ]
    order = {"charge": 0, "payment": 1, "refund": 1, "adjustment": 2}
    return sorted(lines, key=lambda line: (line.date, order[line.kind], line.row.pk))


@dataclass(frozen=True)
class AccountLine(LedgerLine):
    """A line of a patient's account as staff and the patient read it, with the balance right after it."""

    balance: Decimal


def account_lines(*, patient) -> list[AccountLine]:
    """The patient's whole ledger newest first, each line with the balance after it: the running sum of every
    charge, payment, refund and adjustment in `ledger_lines`' order (date, then charges before payments before
    adjustments on a day, then as posted), so the newest line's balance is `patient_balance` (both sum the same
    rows). The account page and the portal's billing page both read it, so the clerk on the phone and the patient
    see the same lines, in the same order, with the same balances. Three queries whatever the length."""
    balance = ZERO
    lines = []
    for line in ledger_lines(patient=patient):
        balance += line.amount
        lines.append(AccountLine(line.date, line.kind, line.description, line.amount, line.row, balance))
    lines.reverse()
    return lines


def _method_words(payment: Payment) -> str:
    """The method as it reads after "Payment by": "cash", "check", "card (in person)", "card (online)"."""
    label = payment.get_method_display()
    return label[:1].lower() + label[1:]


def ledger_actions(
    lines: list[LedgerLine], *, card_refunds_waiting: list[CardRefund]
) -> list[tuple[LedgerLine, Decimal | None, bool]]:
    """Each line of an account (`account_lines`, or `ledger_lines` with no dates), in its order, with what it offers:
    what is left to refund of a payment after its refunds and the card refunds waiting for the provider (the
    account's `card_refunds_waiting`, which the page lists anyway; None when nothing), and whether an adjustment can
    be reversed (once, and never a reversal). No query."""
    rows = [line.row for line in lines]
    payments = [row for row in rows if isinstance(row, Payment)]
    refunded: dict[int, Decimal] = {}
    for refund in (p for p in payments if p.is_refund):
        refunded[refund.refund_of_id] = refunded.get(refund.refund_of_id, ZERO) - refund.amount
    pending: dict[int, Decimal] = {}
    for card_refund in card_refunds_waiting:
        pending[card_refund.payment_id] = pending.get(card_refund.payment_id, ZERO) + card_refund.amount
    left = {p.pk: p.amount - refunded.get(p.pk, ZERO) - pending.get(p.pk, ZERO) for p in payments if not p.is_refund}
    adjustments = [row for row in rows if isinstance(row, Adjustment)]
    reversed_ids = {a.reverses_id for a in adjustments if a.reverses_id is not None}
    reversible = {a.pk for a in adjustments if a.reverses_id is None and a.amount > ZERO and a.pk not in reversed_ids}
    return [
        (
            line,
            left.get(line.row.pk) if line.kind == "payment" and left.get(line.row.pk, ZERO) > ZERO else None,
            line.kind == "adjustment" and line.row.pk in reversible,
        )
        for line in lines
    ]


def charge_outstanding(*, charges: list[Charge], credits: Decimal, by_posting: bool = False) -> dict[int, Decimal]:
    """What is still owed on each charge when credits (payments + adjustments) pay the oldest charges first: oldest
    by session date (as a superbill tells an insurer), or `by_posting`, by when they were posted (as the aging
    report and statements count)."""
    remaining = credits
    owed = {}
    order = (lambda c: (c.posted_at, c.pk)) if by_posting else (lambda c: (c.service_date, c.pk))
    for charge in sorted(charges, key=order):
        applied = min(max(remaining, ZERO), charge.amount)
        owed[charge.pk] = charge.amount - applied
        remaining -= applied
    return owed


def charges_paid(*, patient, charges: list[Charge]) -> dict[int, Decimal]:
    """How much of each charge the patient has paid, as a superbill tells an insurer: adjustments (a write-off, a
    courtesy credit) are not payments, so they first lower what is owed (on the charge they name, else the oldest),
    then the payments, net of refunds, pay the oldest charges that are left."""
    all_charges = list(Charge.objects.filter(patient=patient))
    named: dict[int, Decimal] = {}
    unnamed = ZERO
    for charge_id, amount in Adjustment.objects.filter(patient=patient).values_list("charge_id", "amount"):
        if charge_id is None:
            unnamed += amount
        else:
            named[charge_id] = named.get(charge_id, ZERO) + amount
    reduced = [
        Charge(pk=c.pk, service_date=c.service_date, amount=max(c.amount - named.get(c.pk, ZERO), ZERO))
        for c in all_charges
    ]
    owed_after_credits = charge_outstanding(charges=reduced, credits=unnamed)
    payable = [Charge(pk=c.pk, service_date=c.service_date, amount=owed_after_credits[c.pk]) for c in reduced]
    owed = charge_outstanding(charges=payable, credits=amount_total(Payment.objects.filter(patient=patient)))
    return {c.pk: owed_after_credits.get(c.pk, ZERO) - owed.get(c.pk, ZERO) for c in charges}


def ledger_visible_patients(*, user):
    from apps.patients.selectors import patients_visible_to

    if not user.has_role(Role.ADMIN, Role.BILLING, Role.FRONT_DESK):
        return patients_visible_to(user=user).none()
    return patients_visible_to(user=user)


def patients_with_balances(*, user) -> list[dict]:
    """Every patient with ledger activity whom `user` sees, with their balance summed as `ledger_totals` sums it (the
    account page's figure), most owed first. One query."""
    patients = with_patient_balance(
        ledger_visible_patients(user=user).filter(
            Exists(Charge.objects.filter(patient=OuterRef("pk")))
            | Exists(Payment.objects.filter(patient=OuterRef("pk")))
            | Exists(Adjustment.objects.filter(patient=OuterRef("pk")))
        ),
        patient_ref="pk",
    ).order_by("-patient_balance", "legal_last_name", "pk")
    return [{"patient": patient, "balance": patient.patient_balance} for patient in patients]


@dataclass(frozen=True)
class StatementBody:
    """What a statement lists, as its portal page, its PDF, the API and the records download show it: the lines up to
    the month's end (`lines`), the balance they come to then (None when the statement opens after the month ended),
    and what was posted after the month up to the moment of issue (`lines_after`), which takes the balance to the
    balance at issue. Opening balance + every line = balance at issue."""

    lines: list[LedgerLine]
    balance_at_period_end: Decimal | None
    lines_after: list[LedgerLine]


def _period_stop(statement: Statement) -> dt.datetime:
    return clock.local_datetime(statement.period_end + dt.timedelta(days=1), dt.time(0, 0))


def _posted_moment(line: LedgerLine) -> dt.datetime:
    row = line.row
    return row.received_at if isinstance(row, Payment) else row.posted_at


def _listed_after(line: LedgerLine, statement: Statement) -> bool:
    """Whether a line is among those a statement lists after its month: posted after the month (and after the
    statement's window opened) up to its issue."""
    moment = _posted_moment(line)
    opened = statement.counted != StatementCounting.SINCE_LAST or statement.opens_after is None
    return _period_stop(statement) <= moment <= statement.issued_at and (opened or moment > statement.opens_after)


def statement_body(*, statement: Statement) -> StatementBody:
    """What `statement` lists (StatementBody): the one reading of a statement's lines that its page, PDF and the API
    share. Counted since the last statement, the ledger is read once, after the last statement's issue (or from the
    month's first day) up to this one's, and split at the month's end. Three queries."""
    if statement.counted != StatementCounting.SINCE_LAST:
        return StatementBody(
            lines=ledger_lines(
                patient=statement.patient,
                start=statement.period_start,
                end=statement.period_end,
                counted=statement.counted,
                issued_at=statement.issued_at,
            ),
            balance_at_period_end=statement.closing_balance,
            lines_after=statements_lines_after(statements=[statement])[statement.pk],
        )
    listed = ledger_lines(
        patient=statement.patient_id,
        start=statement.period_start if statement.opens_after is None else None,
        posted_after=statement.opens_after,
        posted_by=statement.issued_at,
    )
    stop = _period_stop(statement)
    lines_after = [line for line in listed if _listed_after(line, statement)]
    return StatementBody(
        lines=[line for line in listed if _posted_moment(line) < stop],
        balance_at_period_end=statement_balance_at_period_end(statement=statement, lines_after=lines_after),
        lines_after=lines_after,
    )


def statement_balance_at_period_end(*, statement: Statement, lines_after: list[LedgerLine]) -> Decimal | None:
    """The balance a statement shows at its month's end, before what it lists after the month (`lines_after`): its
    closing balance less those lines (None when it opens after the month ended); a statement issued before
    statements were counted since the last one closed at the month's end. No query."""
    if statement.counted != StatementCounting.SINCE_LAST:
        return statement.closing_balance
    if statement.opens_after is not None and statement.opens_after >= _period_stop(statement):
        return None
    return statement.closing_balance - sum((line.amount for line in lines_after), ZERO)


def statement_lines(*, statement: Statement) -> list[LedgerLine]:
    """The lines `statement` lists up to its month's end (StatementBody.lines)."""
    return statement_body(statement=statement).lines


def statements_lines_after(*, statements: list[Statement]) -> dict[int, list[LedgerLine]]:
    """What each of several statements of one patient lists after its month (StatementBody.lines_after), by
    statement id: the ledger is read once, from the end of the earliest period up to the latest issue, and each
    statement takes the lines posted after its own period up to its own issue. Three queries however many
    statements (a records download lists them all)."""
    if not statements:
        return {}
    lines = ledger_lines(
        patient=statements[0].patient_id,
        start=min(statement.period_end for statement in statements) + dt.timedelta(days=1),
        posted_by=max(statement.issued_at for statement in statements),
    )
    return {statement.pk: [line for line in lines if _listed_after(line, statement)] for statement in statements}


def statements_of(*, patient) -> QuerySet[Statement]:
    return Statement.objects.filter(patient=patient)


def staff_sees_account(*, user, patient) -> bool:
    """Whether a member of staff may open the patient's account (their own record is the portal's, not this)."""
    return user.is_clinic_staff and user.has_perm("billing.view_ledger", patient)


def session_charges(*, user, appointment) -> list[tuple[str, Decimal, str]]:
    """What a session's outcome posted to its patient's account (the session fee, a late-cancel or no-show fee,
    a package session at $0), as (what, amount, the account's page), for a member of staff who may see that
    account; the session page shows them beside the session."""
    patient = appointment.patient
    if patient is None or not staff_sees_account(user=user, patient=patient):
        return []
    account = reverse("billing:patient_ledger", args=[patient.pk])
    charges = (
        Charge.objects.filter(appointment=appointment, patient=patient)
        .select_related("service_type")
        .order_by("posted_at", "pk")
    )
    return [(charge.description_shown, charge.amount, account) for charge in charges]


def late_cancel_fees(*, user, start: dt.datetime, end: dt.datetime) -> dict[int, Decimal]:
    """The late-cancellation fees posted for sessions overlapping [start, end), by session id, for staff who may
    see accounts (front desk and billing): one query whatever the number of sessions, as the calendar asks it for
    the range it shows."""
    if not (user.is_clinic_staff and user.has_perm("billing.view_ledger")):
        return {}
    fees: dict[int, Decimal] = {}
    # Only late-cancelled sessions carry the fee the calendar labels: the charges are looked up by those few.
    late = Appointment.objects.filter(status=AppointmentStatus.LATE_CANCELLED)
    sessions = overlapping(late, start=start, end=end).values("pk")
    for appointment_id, amount in Charge.objects.filter(
        kind=ChargeKind.LATE_CANCEL, appointment__in=sessions
    ).values_list("appointment_id", "amount"):
        fees[appointment_id] = fees.get(appointment_id, ZERO) + amount
    return fees
