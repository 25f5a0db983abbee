"""Monthly statements: one patient's, or the whole clinic's in chunks, each emailed to the patient with a link."""

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse

from apps.core import clock
from apps.core.errors import Conflict, Unprocessable
from apps.core.links import absolute_url
from apps.core.transitions import actor_or_none
from apps.notifications.outbox import messages_enqueue, patient_notice_build

from ..models import Statement, StatementCounting
from ..selectors.ledger import statement_balances
from ..selectors.plans import next_instalments
from .common import add_months, patient_lock


def _month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    return start, add_months(start, 1) - dt.timedelta(days=1)


def _statement_notices(statement: Statement, patient) -> list:
    """The statement-ready email for a new statement (none without an address), as the single issue and the run
    both queue it."""
    return patient_notice_build(
        patient=patient,
        subject=statement,
        template="statement_ready",
        key=f"statement:{statement.pk}:ready",
        context={
            "period": statement.period_start.strftime("%B %Y"),
            "period_start": statement.period_start.isoformat(),
            "statement_url": absolute_url(reverse("portal:billing:statement", args=[statement.pk])),
            # What the statement asks for, as its page and PDF say it.
            "amount_due": str(statement.amount_due),
            "pay_by": statement.pay_by.isoformat(),
            "asks_for": statement.asks_for,
        },
        email_only=True,
        send_at=statement.issued_at,
    )


def _statements_for(rows, *, start: dt.date, end: dt.date, issued_at: dt.datetime, actor) -> list[Statement]:
    """Unsaved statements from `statement_balances` rows, each asking for the next instalment of the patient's
    active payment plan when there is one to pay (read for all the rows at once), else for the balance at issue."""
    instalments = next_instalments(balances={row.pk: row.balance_at_issue for row in rows})
    statements = []
    for row in rows:
        instalment = instalments.get(row.pk)
        statements.append(
            Statement(
                patient=row,
                period_start=start,
                period_end=end,
                opening_balance=row.opening_balance,
                closing_balance=row.closing_balance,
                balance_at_issue=row.balance_at_issue,
                opens_after=row.opens_after,
                instalment_due=instalment["due"] if instalment else None,
                instalment_due_on=instalment["instalment"].due_on if instalment else None,
                issued_at=issued_at,
                issued_by=actor_or_none(actor),
                counted=StatementCounting.SINCE_LAST,
            )
        )
    return statements


def _ended_month(year: int, month: int) -> tuple[dt.date, dt.date]:
    start, end = _month_bounds(year, month)
    if end >= clock.local_now().date():
        raise Unprocessable("A statement is issued after the month has ended.")
    return start, end


@transaction.atomic
def statement_issue(*, actor, patient, year: int, month: int) -> Statement:
    """Issue the month's statement (once per patient and month) and email the patient a link to it. It lists what was
    posted since the patient's last statement up to now, and opens where that one closed (statement_balances); a
    month before the patient's latest statement is refused (409). Asked again, it answers the statement issued,
    marked `replayed`, and sends nothing."""
    from apps.patients.models import Patient

    start, end = _ended_month(year, month)
    patient_lock(patient)
    existing = Statement.objects.filter(patient=patient, period_start=start).first()
    if existing is not None:
        existing.replayed = True
        return existing
    later = Statement.objects.filter(patient=patient, period_start__gt=start).order_by("-period_start").first()
    if later is not None:
        # Issued now, it would list again what the later statement listed, and open where no statement closed.
        raise Conflict(
            f"The statement for {later.period_start:%B %Y} was issued already and lists what was posted up to then: "
            "a statement for an earlier month cannot be issued after it."
        )
    issued_at = clock.now()
    rows = statement_balances(patients=Patient.objects.filter(pk=patient.pk), start=start, end=end, issued_at=issued_at)
    (statement,) = _statements_for([rows.get()], start=start, end=end, issued_at=issued_at, actor=actor)
    statement.save(force_insert=True)
    messages_enqueue(messages=_statement_notices(statement, statement.patient))
    return statement


# Patients locked, summed and written per transaction: each chunk repeats the scans that find who is due, so
# larger is faster, while a payment for a patient in the chunk waits for it to commit (well under a second).
STATEMENT_CHUNK = 2500


def statements_issue_for_month(*, actor, year: int, month: int, chunk: int = STATEMENT_CHUNK) -> int:
    """Issue statements, as `statement_issue` would, for every patient with a ledger by the month's end and either
    something posted since their last statement or a balance owed or in credit; returns how many.

    Set-based, a chunk of patients per transaction in primary-key order: lock the chunk (in key order, as every
    other run does, so two runs queue behind each other instead of deadlocking), read every balance in one query,
    skip patients already issued this month (checked after the lock, so a concurrent run's statements are seen),
    read the chunk's payment plans' next instalments at once, then insert the statements and their emails in one
    INSERT each. The query count depends on the number of
    chunks, not of patients; a re-run issues nothing twice.
    """
    from apps.patients.models import Patient

    start, end = _ended_month(year, month)
    # Patients with nothing on their ledger read as a zero balance with no activity, and are passed over below, as
    # are those issued this month or a later one (whose statement lists what this one would).
    unissued = (
        Patient.objects.exclude(Exists(Statement.objects.filter(patient=OuterRef("pk"), period_start__gte=start)))
        .only("email", "preferred_name", "legal_first_name", "user_id")  # what the email needs
        .order_by("pk")
    )
    issued = 0
    after = 0
    while True:
        with transaction.atomic():
            ids = list(
                Patient.objects.filter(pk__gt=after)
                .order_by("pk")
                .select_for_update()
                .values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                return issued
            after = ids[-1]
            issued_at = clock.now()
            rows = statement_balances(patients=unissued.filter(pk__in=ids), start=start, end=end, issued_at=issued_at)
            statements = _statements_for(
                [
                    row
                    for row in rows
                    if row.posted_by_period_end and (row.closing_balance != 0 or row.posted_since_last)
                ],
                start=start,
                end=end,
                issued_at=issued_at,
                actor=actor,
            )
            Statement.objects.bulk_create(statements)
            messages_enqueue(
                messages=[
                    notice for statement in statements for notice in _statement_notices(statement, statement.patient)
                ]
            )
            issued += len(statements)
        if len(ids) < chunk:
            return issued
