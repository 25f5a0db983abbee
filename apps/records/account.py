"""The money part of the patient's record: what the portal's billing pages show the patient, read through the
selectors those pages read, so the download and the portal cannot disagree.

The ledger's lines with their words, each statement with what it asked for at issue, payment plans with their
instalments' progress, session packages, Good Faith Estimates and the fee the patient pays now. The query count
does not grow with the length of the history."""

from apps.billing import pricing
from apps.billing.selectors.estimates import estimate_context, estimates_of
from apps.billing.selectors.ledger import (
    ledger_lines,
    patient_balance,
    statement_balance_at_period_end,
    statements_lines_after,
    statements_of,
)
from apps.billing.selectors.packages import packages_of
from apps.billing.selectors.plans import plan_next_instalment, plan_progress, plans_of

from .moments import local


def _ledger(patient) -> dict:
    charges, payments, adjustments = [], [], []
    lines = ledger_lines(patient=patient)
    receipts = {line.row.pk: line.row.receipt_number for line in lines if line.kind == "payment"}
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
                    "description": line.description,
                    "is_reversal": row.reverses_id is not None,
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
                    "description": line.description,
                    "receipt_amount": row.receipt_amount,
                    "refund_of": receipts.get(row.refund_of_id, ""),
                    "credit_on_account": row.credit_on_account,
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
            "balance_at_period_end": statement_balance_at_period_end(
                statement=statement, lines_after=after[statement.pk]
            ),
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


def _plans(patient, *, balance) -> list[dict]:
    """Every payment plan, oldest first, with each instalment's progress as the portal shows it and, for the active
    plan, the next instalment the portal offers to pay."""
    rows = []
    for plan in reversed(plans_of(patient=patient)):
        progress = plan_progress(plan=plan, paid=plan.paid_against)
        following = plan_next_instalment(plan=plan, balance=balance, paid=plan.paid_against)
        rows.append(
            {
                "starts_on": plan.starts_on,
                "total": plan.total,
                "status": plan.status,
                "status_label": plan.get_status_display(),
                "completed_at": local(plan.completed_at),
                "paid": plan.paid_against,
                "instalments": [
                    {
                        "due_on": row["instalment"].due_on,
                        "amount": row["instalment"].amount,
                        "covered": row["covered"],
                        "status": row["status"],
                        "status_label": row["state"],
                    }
                    for row in progress
                ],
                "next_instalment": {"due_on": following["instalment"].due_on, "amount": following["due"]}
                if following and plan.status == "active"
                else None,
            }
        )
    return rows


def _packages(patient) -> list[dict]:
    return [
        {
            "name": package.offering.name,
            "service": package.service_type.name,
            "purchased_on": package.purchased_on,
            "full_price": package.full_price,
            "price": package.price,
            "fee_class": package.class_label,
            "sessions_total": package.sessions_total,
            "sessions_used": package.sessions_used,
            "sessions_remaining": package.sessions_remaining,
            "expires_on": package.expires_on,
            "status": package.status,
            "status_label": package.status_shown,
            "credited": package.credited,
            "closed_at": local(package.closed_at),
            "close_reason": package.close_reason,
        }
        for package in reversed(packages_of(patient=patient))
    ]


def _estimates(patient) -> list[dict]:
    """Every Good Faith Estimate, oldest first, with its lines as its page shows them."""
    rows = []
    for estimate in reversed(estimates_of(patient=patient)):
        shown = estimate_context(estimate)
        rows.append(
            {
                "issued_at": local(estimate.issued_at),
                "reason": estimate.reason,
                "reason_label": estimate.get_reason_display(),
                "period_start": estimate.period_start,
                "period_end": estimate.period_end,
                "fee_class": estimate.class_label,
                "total": estimate.total,
                "replaces_issued_at": local(estimate.replaces.issued_at) if estimate.replaces else None,
                "replaced": hasattr(estimate, "replaced_by"),
                "lines": [
                    {
                        "code": line.get("cpt", ""),
                        "description": line.get("description", ""),
                        "provider": line.get("provider_name") or "",
                        "provider_license": line.get("provider_license") or "",
                        "provider_npi": line.get("provider_npi") or "",
                        "fee": line["fee"],
                        "expected_sessions": line.get("expected_count"),
                        "amount": line["amount"],
                    }
                    for line in shown["lines"]
                ],
            }
        )
    return rows


def _fee(patient) -> dict:
    """The fee the patient pays today, per service and for a late cancellation or no-show, with their class."""
    card = pricing.patient_fee_card(patient=patient)
    return {
        "fee_class": card["class_label"],
        "services": [
            {"service": row["service"].name, "fee": row["fee"], "full_fee": row["full_fee"]} for row in card["services"]
        ],
        "late_cancel_fee": card["late_cancel_fee"],
    }


def account_sections(patient) -> dict:
    balance = patient_balance(patient=patient)
    return {
        **_ledger(patient),
        "statements": _statements(patient),
        "balance": balance,
        "payment_plans": _plans(patient, balance=balance),
        "packages": _packages(patient),
        "good_faith_estimates": _estimates(patient),
        "fee": _fee(patient),
    }
