"""The money part of the patient's record, read through the selectors the portal's billing pages read, so the
download and the portal cannot disagree: the ledger and each statement with what it asked for at issue. The query
count does not grow with the length of the history."""

from apps.billing.selectors.ledger import ledger_lines, patient_balance, statements_lines_after, statements_of

from .moments import local


def _ledger(patient) -> dict:
    charges, payments, adjustments = [], [], []
    lines = ledger_lines(patient=patient)
    for line in lines:
        row = line.row
        if line.kind == "charge":
            charges.append(
                {
                    "service_date": row.service_date,
                    "description": line.description,
                    "kind": row.kind,
                    "kind_label": row.get_kind_display(),
                    "full_fee": row.full_fee,
                    "amount": row.amount,
                    "fee_class": row.class_label,
                    "posted_at": local(row.posted_at),
                }
            )
        elif line.kind == "adjustment":
            adjustments.append(
                {
                    "posted_at": local(row.posted_at),
                    "kind": row.kind,
                    "kind_label": row.get_kind_display(),
                    "amount": row.amount,
                    "reason": row.reason,
                }
            )
        else:
            payments.append(
                {
                    "received_at": local(row.received_at),
                    "method": row.method,
                    "method_label": row.get_method_display(),
                    "amount": row.amount,
                    "is_refund": row.is_refund,
                    "receipt_number": row.receipt_number,
                    "reference": row.reference,
                }
            )
    return {"charges": charges, "payments": payments, "adjustments": adjustments}


def _line(line) -> dict:
    return {"date": line.date, "kind": line.kind, "description": line.description, "amount": line.amount}


def _statements(patient) -> list[dict]:
    """Each statement as it was issued: its month's balances, then what was posted after the month up to the issue
    and what it asked the patient to pay (the payment plan's instalment, or the balance at issue), read as the
    statement's own page reads them."""
    issued = list(statements_of(patient=patient).order_by("period_start"))
    after = statements_lines_after(statements=issued)
    return [
        {
            "period_start": statement.period_start,
            "period_end": statement.period_end,
            "opening_balance": statement.opening_balance,
            "closing_balance": statement.closing_balance,
            "issued_at": local(statement.issued_at),
            "posted_after": [_line(line) for line in after[statement.pk]],
            "balance_at_issue": statement.balance_at_issue,
            "asks_for": statement.asks_for,
            "amount_due": statement.amount_due,
            "pay_by": statement.pay_by,
            "instalment_due": statement.instalment_due,
            "instalment_due_on": statement.instalment_due_on,
        }
        for statement in issued
    ]


def account_sections(patient) -> dict:
    return {**_ledger(patient), "statements": _statements(patient), "balance": patient_balance(patient=patient)}
