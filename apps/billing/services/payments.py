"""Money in and credits: payments taken at the front desk, refunds and adjustments, each a new ledger row with a
receipt number or a reason. The patient row is locked first, so two cashiers cannot overspend a balance.
"""

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction

from apps.core import clock
from apps.core.errors import Conflict, InvalidTransition, Unprocessable
from apps.core.money import ZERO, money_text
from apps.core.submissions import RecordedOnce, Sending
from apps.core.transitions import actor_or_none

from ..models import (
    Adjustment,
    AdjustmentKind,
    CardRefund,
    CardRefundStatus,
    Charge,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PlanStatus,
)
from ..payments import ProviderUnavailable, RefundRefused, payment_backend
from ..selectors.ledger import (
    CARD_REFUND_RETRY_UNTIL,
    amount_total,
    card_refund_pending,
    patient_balance,
    payment_refunded,
)
from .common import patient_lock, positive_money
from .plans import plan_complete_if_paid, plan_reopen_if_owed

logger = logging.getLogger(__name__)


def receipt_number_next() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('billing_receipt_number_seq')")
        (number,) = cursor.fetchone()
    return f"R{number:07d}"


PAYMENT_ONCE = RecordedOnce(
    model=Payment,
    noun="payment",
    elsewhere="on another patient's account",
    described=lambda payment: (
        f"receipt {payment.receipt_number} ({payment.get_method_display().lower()}, {money_text(payment.amount)})"
    ),
)

REFUND_ONCE = RecordedOnce(
    model=Payment,
    noun="refund",
    elsewhere="for another payment",
    described=lambda refund: f"a refund of {money_text(refund.receipt_amount)}, receipt {refund.receipt_number}",
)

CARD_REFUND_ONCE = RecordedOnce(
    model=CardRefund,
    noun="refund",
    elsewhere="for another payment",
    described=lambda card_refund: f"a card refund of {money_text(card_refund.amount)}",
)

ADJUSTMENT_ONCE = RecordedOnce(
    model=Adjustment,
    noun="adjustment",
    elsewhere="on another patient's account",
    described=lambda adjustment: f"a {adjustment.get_kind_display().lower()} of {money_text(adjustment.amount)}",
)


@transaction.atomic
def payment_record(
    *,
    actor,
    patient,
    method: str,
    amount,
    reference: str = "",
    note: str = "",
    received_at: dt.datetime | None = None,
    credit_on_account: bool = False,
    plan: PaymentPlan | None = None,
    submission_key: uuid.UUID | None = None,
) -> Payment:
    """Record a payment taken at the front desk (cash, check, card present). A receipt number is issued.

    A payment above the balance is refused unless `credit_on_account` says to keep the excess as the patient's
    credit (the next charges use it up); only then is the payment marked as a credit. A payment made against the
    patient's active `plan` counts toward it, and completes the plan once the plan's total is paid.

    One `submission_key` (the desk form's, or the API's Idempotency-Key) records at most one payment: sent again,
    it answers the payment it recorded (`replayed` set) without recording another; with another patient, method,
    amount or reference it is refused (409).
    """
    if method not in {PaymentMethod.CASH, PaymentMethod.CHECK, PaymentMethod.CARD_PRESENT}:
        raise Unprocessable("Record cash, check or card-present payments here.", fields={"method": ["Not allowed."]})
    if method == PaymentMethod.CHECK and not reference.strip():
        raise Unprocessable("Enter the check number.", fields={"reference": ["Required for a check."]})
    amount = positive_money(amount, "amount")
    reference = reference.strip()
    patient_lock(patient)
    sending = Sending(
        key=submission_key,
        owner={"patient_id": patient.pk},
        content={"method": method, "amount": amount, "reference": reference},
    )
    if (recorded := PAYMENT_ONCE.recorded(sending)) is not None:
        return recorded
    balance = patient_balance(patient=patient)
    if amount > balance and not credit_on_account:
        owed = f"{money_text(balance)} is owed" if balance > 0 else "nothing is owed"
        raise Unprocessable(
            f"{money_text(amount)} is more than the balance: {owed}. Take no more than the balance, or record "
            "the excess as a credit on account.",
            fields={"amount": ["More than the balance."], "credit_on_account": ["Tick to keep the excess as credit."]},
        )
    if plan is not None:  # read again under its lock: cancelled or completed since the caller read it, it takes nothing
        plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan is not None and (plan.patient_id != patient.pk or plan.status != PlanStatus.ACTIVE):
        raise Unprocessable("That is not this patient's active payment plan.", fields={"plan": ["Not active."]})
    payment = PAYMENT_ONCE.record(
        sending,
        lambda: Payment.objects.create(
            patient=patient,
            method=method,
            amount=amount,
            reference=reference,
            note=note.strip(),
            received_at=received_at or clock.now(),
            receipt_number=receipt_number_next(),
            credit_on_account=amount > balance,
            plan=plan,
            recorded_by=actor_or_none(actor),
            submission_key=submission_key,
        ),
    )
    plan_complete_if_paid(patient=patient)
    return payment


def submission_seen(submission_key: uuid.UUID | None) -> bool:
    """Whether a payment, refund or adjustment was recorded with this key: the ledger's pages ask it before showing a
    confirmation, as a submission sent again answers the row it recorded, with nothing left to confirm."""
    if submission_key is None:
        return False
    return any(
        once.model.objects.filter(submission_key=submission_key).exists()
        for once in (PAYMENT_ONCE, CARD_REFUND_ONCE, ADJUSTMENT_ONCE)
    )


def refund_post(
    *,
    actor,
    payment: Payment,
    amount: Decimal,
    provider_reference: str,
    note: str,
    submission_key: uuid.UUID | None = None,
) -> Payment:
    """Post the reversing row of a refund, under the patient's lock."""
    refund = Payment.objects.create(
        patient_id=payment.patient_id,
        method=payment.method,
        amount=-amount,
        received_at=clock.now(),
        provider=payment.provider,
        provider_reference=provider_reference,
        refund_of=payment,
        plan_id=payment.plan_id,  # a refund of a plan payment no longer counts toward the plan
        note=note,
        receipt_number=receipt_number_next(),
        recorded_by=actor_or_none(actor),
        submission_key=submission_key,
    )
    plan_reopen_if_owed(patient=payment.patient, undone_posted_at=payment.received_at)
    return refund


def payment_refundable(*, payment: Payment) -> Decimal:
    """What is left to refund of a payment: its amount less its refunds, and less the card refunds still waiting for
    the provider (they count as given). Every refund is checked against it: one asked of the payment, and each share
    a package's close gives back."""
    return payment.amount - payment_refunded(payment=payment) - card_refund_pending(payment=payment)


def refund_refusal_raise(*, payment: Payment, amount) -> None:
    """Refuse a refund the payment cannot give: what refunding checks under its locks, and what the ledger asks
    before it shows the refund's confirmation. A card refund still waiting for the provider counts as given."""
    if payment.is_refund:
        raise InvalidTransition("A refund cannot itself be refunded.")
    if amount > payment_refundable(payment=payment):
        raise Unprocessable("That is more than is left to refund on this payment.", fields={"amount": ["Too much."]})


@transaction.atomic
def _refund_posted(*, actor, payment: Payment, amount: Decimal, note: str, submission_key) -> Payment:
    patient_lock(payment.patient)
    sending = Sending(key=submission_key, owner={"refund_of_id": payment.pk}, content={"amount": -amount})
    if (recorded := REFUND_ONCE.recorded(sending)) is not None:
        return recorded
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    refund_refusal_raise(payment=payment, amount=amount)
    return REFUND_ONCE.record(
        sending,
        lambda: refund_post(
            actor=actor, payment=payment, amount=amount, provider_reference="", note=note, submission_key=submission_key
        ),
    )


@dataclass(frozen=True)
class RefundAsked:
    """What asking for a refund came to: the reversing row once posted (`refund`, None while the card provider has
    not answered), the card refund request for a card payment taken online (`card_refund`), and whether the request
    was one already made, sent again (`replayed`)."""

    payment: Payment
    amount: Decimal
    refund: Payment | None
    card_refund: CardRefund | None
    replayed: bool

    @property
    def waiting(self) -> bool:
        return self.refund is None


def payment_refund_ask(
    *, actor, payment: Payment, amount, reason: str, submission_key: uuid.UUID | None = None
) -> RefundAsked:
    """Refund part or all of a payment with a reversing row; a card refund the provider has not confirmed is
    answered as waiting (RefundAsked.waiting) rather than refused.

    One refund is asked for once. With a `submission_key` (the refund form's, the API's Idempotency-Key), the key
    sent again answers the refund it made (`replayed`), and for a card refund still waiting asks the provider again
    with that refund's own idempotency key; with another payment or amount it is refused (409). Without a key, a card
    refund of the same amount still waiting on this payment is that refund sent again: answered, never made twice.

    A card payment taken online is refunded through the provider, never inside the ledger's transaction: the
    request (a CardRefund row with its idempotency key) is committed first, then the provider is asked, then the
    reversing row is posted. If the provider refuses, the request is marked failed and nothing is posted
    (RefundRefused); if it does not answer, the request stays pending (its amount not offered again) and is settled
    by the provider's refund event, by the retry task, or by the refund sent again, each asking with the same key,
    so the card is refunded once."""
    amount = positive_money(amount, "amount")
    if not reason.strip():
        raise Unprocessable("Give a reason for the refund.", fields={"reason": ["Required."]})
    sent = {"actor": actor, "payment": payment, "amount": amount, "note": reason.strip()}
    if payment.method != PaymentMethod.CARD_ONLINE:
        refund = _refund_posted(**sent, submission_key=submission_key)
        return RefundAsked(payment, amount, refund, None, replayed=refund.replayed)
    card_refund = _card_refund_request(**sent, submission_key=submission_key)
    if card_refund.status == CardRefundStatus.FAILED:  # only a replayed request can be failed already
        raise RefundRefused(f"The card provider refused this refund: {card_refund.failure}")
    try:
        refund = card_refund.refund or card_refund_send(card_refund=card_refund)  # waiting: asked again, same key
    except ProviderUnavailable:
        refund = None
    return RefundAsked(payment, amount, refund, card_refund, replayed=card_refund.replayed)


def card_refund_waiting(card_refund: CardRefund) -> ProviderUnavailable:
    """The refusal that says a card refund is waiting for the provider, and will not be made twice."""
    return ProviderUnavailable(
        f"The card provider did not answer. The refund of {money_text(card_refund.amount)} is waiting for it "
        "and is posted as soon as the provider confirms it; it will not be made twice."
    )


def payment_refund(*, actor, payment: Payment, amount, reason: str, submission_key: uuid.UUID | None = None) -> Payment:
    """Refund part or all of a payment (payment_refund_ask), answering the reversing row (`replayed` set when the
    refund was sent again); a card refund still waiting for the provider raises ProviderUnavailable, saying so."""
    asked = payment_refund_ask(
        actor=actor, payment=payment, amount=amount, reason=reason, submission_key=submission_key
    )
    if asked.waiting:
        raise card_refund_waiting(asked.card_refund)
    asked.refund.replayed = asked.replayed
    return asked.refund


def _card_refund_request(*, actor, payment: Payment, amount: Decimal, note: str, submission_key) -> CardRefund:
    with transaction.atomic(durable=True):  # committed before the provider is asked
        patient_lock(payment.patient)
        sending = Sending(key=submission_key, owner={"payment_id": payment.pk}, content={"amount": amount})
        if (recorded := CARD_REFUND_ONCE.recorded(sending)) is not None:
            return recorded
        if submission_key is None and (waiting := _card_refund_waiting_for(payment=payment, amount=amount)):
            return waiting
        return CARD_REFUND_ONCE.record(
            sending,
            lambda: card_refund_record(
                actor=actor, payment=payment, amount=amount, note=note, submission_key=submission_key
            ),
        )


def _card_refund_waiting_for(*, payment: Payment, amount: Decimal) -> CardRefund | None:
    """The card refund of `amount` on `payment` still waiting for the provider, marked replayed: a refund sent again
    without a key is known by what it asks. Under the patient's lock, so two such sendings find the one recorded."""
    waiting = (
        CardRefund.objects.filter(payment=payment, amount=amount, status=CardRefundStatus.PENDING)
        .order_by("id")
        .first()
    )
    if waiting is not None:
        waiting.replayed = True
    return waiting


def card_refund_record(
    *, actor, payment: Payment, amount: Decimal, note: str, submission_key: uuid.UUID | None = None
) -> CardRefund:
    """Record a card refund as waiting for the provider, after the refund checks. Under the patient's lock, in a
    transaction that commits before the provider is asked (card_refund_send)."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    refund_refusal_raise(payment=payment, amount=amount)
    return CardRefund.objects.create(
        payment=payment,
        amount=amount,
        idempotency_key=f"refund-{payment.pk}-{uuid.uuid4().hex}",
        note=note,
        requested_at=clock.now(),
        requested_by=actor_or_none(actor),
        submission_key=submission_key,
    )


def card_refund_send(*, card_refund: CardRefund) -> Payment:
    """Ask the provider for a pending card refund (again, with the same key, if it was asked before) and post it.
    Raises RefundRefused (the request is then failed) or ProviderUnavailable (it stays pending)."""
    payment = card_refund.payment
    try:
        reference = payment_backend(payment.provider).refund(
            payment=payment,
            amount=card_refund.amount,
            idempotency_key=card_refund.idempotency_key,
            card_refund_id=card_refund.pk,
        )
    except RefundRefused as exc:
        with transaction.atomic(durable=True):
            patient_lock(payment.patient)
            updated = CardRefund.objects.filter(pk=card_refund.pk, status=CardRefundStatus.PENDING).update(
                status=CardRefundStatus.FAILED, failure=exc.message[:200], settled_at=clock.now()
            )
        posted = None if updated else CardRefund.objects.get(pk=card_refund.pk).refund
        if posted is not None:
            # The provider's refund event posted it meanwhile, yet the provider now refuses it: one of the two
            # answers is wrong, and only billing can tell which, in the provider's dashboard. The posting stands.
            logger.error(
                "Card refund %s was refused by the provider after its refund event posted it; check it with the "
                "provider",
                card_refund.pk,
            )
            return posted
        raise
    except ProviderUnavailable:
        logger.warning("Card refund %s is pending: the provider did not answer", card_refund.pk)
        raise card_refund_waiting(card_refund) from None
    with transaction.atomic(durable=True):
        patient_lock(payment.patient)
        card_refund = CardRefund.objects.select_for_update().get(pk=card_refund.pk)
        return card_refund_post(card_refund=card_refund, provider_reference=reference)


def card_refund_post(*, card_refund: CardRefund, provider_reference: str) -> Payment:
    """Post a card refund the provider made, once: its reversing row, then the request marked refunded. Under the
    patient's lock, with the request locked."""
    if card_refund.status == CardRefundStatus.REFUNDED:
        return card_refund.refund
    # The provider's refund event may have posted this very refund already, as one it could not tie to a request
    # (a request made before refunds carried its id): that row is this request's, not a second refund.
    refund = Payment.objects.filter(
        refund_of=card_refund.payment,
        provider_reference=provider_reference,
        amount=-card_refund.amount,
        card_refund_request__isnull=True,
    ).first()
    if refund is None:
        refund = refund_post(
            actor=card_refund.requested_by,
            payment=card_refund.payment,
            amount=card_refund.amount,
            provider_reference=provider_reference,
            note=card_refund.note,
        )
    card_refund.status = CardRefundStatus.REFUNDED
    card_refund.refund = refund
    card_refund.provider_reference = provider_reference
    card_refund.failure = ""
    card_refund.settled_at = clock.now()
    card_refund.save(update_fields=["status", "refund", "provider_reference", "failure", "settled_at"])
    return refund


# A pending refund is asked again once its first answer can no longer be on its way, until CARD_REFUND_RETRY_UNTIL.
CARD_REFUND_RETRY_AFTER = dt.timedelta(minutes=5)


def card_refunds_retry() -> int:
    """Ask the provider again about card refunds still pending (a timeout, a crash before posting), with each one's
    own key, and post those it confirms. Returns how many were posted. One left pending past the retry window is
    logged, and listed on billing's home page for billing to check with the provider; its refund event still settles
    it."""
    now = clock.now()
    pending = CardRefund.objects.filter(
        status=CardRefundStatus.PENDING, requested_at__lte=now - CARD_REFUND_RETRY_AFTER
    )
    posted = 0
    for card_refund in pending.select_related("payment").order_by("requested_at", "id"):
        if card_refund.requested_at < now - CARD_REFUND_RETRY_UNTIL:
            logger.error(
                "Card refund %s is still pending past its retry window; check it with the provider", card_refund.pk
            )
            continue
        try:
            card_refund_send(card_refund=card_refund)
            posted += 1
        except (RefundRefused, ProviderUnavailable) as exc:
            logger.warning("Card refund %s not posted: %s", card_refund.pk, exc.code)
    return posted


def adjustment_refusal_raise(*, patient, amount, charge: Charge | None = None) -> None:
    """Refuse an adjustment the account cannot take: never more than the balance, nor (for one charge) more than is
    left of that charge. What posting checks under the patient's lock, and what the ledger asks before it shows
    the adjustment's confirmation."""
    if charge is not None:
        if charge.patient_id != patient.pk:
            raise Unprocessable("That charge belongs to another patient.")
        left = charge.amount - amount_total(Adjustment.objects.filter(charge=charge))
        if amount > left:
            raise Unprocessable(
                f"That credits more than the charge: {money_text(left)} of it is left to adjust.",
                fields={"amount": ["Too much."]},
            )
    balance = patient_balance(patient=patient)
    if amount > balance:
        raise Unprocessable(
            f"An adjustment cannot be more than the balance ({money_text(max(balance, ZERO))}); to give money back, "
            "refund a payment.",
            fields={"amount": ["More than the balance."]},
        )


@transaction.atomic
def adjustment_post(
    *,
    actor,
    patient,
    kind: str,
    amount,
    reason: str,
    charge: Charge | None = None,
    submission_key: uuid.UUID | None = None,
) -> Adjustment:
    """Credit the patient's account: a write-off, a courtesy discount, or a correction of a wrong charge. Never
    more than the balance, nor (for one charge) more than is left of that charge.

    One `submission_key` (the adjustment form's) posts at most one adjustment: sent again, it answers the adjustment
    it posted (`replayed` set); with another patient, kind, amount or charge it is refused (409)."""
    if kind not in AdjustmentKind.values:
        raise Unprocessable("Unknown adjustment kind.", fields={"kind": ["Choose write-off, courtesy or correction."]})
    amount = positive_money(amount, "amount")
    if not reason.strip():
        raise Unprocessable("Give a reason.", fields={"reason": ["Required."]})
    patient_lock(patient)
    sending = Sending(
        key=submission_key,
        owner={"patient_id": patient.pk},
        content={"kind": kind, "amount": amount, "charge_id": charge.pk if charge else None},
    )
    if (recorded := ADJUSTMENT_ONCE.recorded(sending)) is not None:  # before the balance, lower once it is posted
        return recorded
    adjustment_refusal_raise(patient=patient, amount=amount, charge=charge)
    adjustment = ADJUSTMENT_ONCE.record(
        sending,
        lambda: Adjustment.objects.create(
            patient=patient,
            kind=kind,
            amount=amount,
            charge=charge,
            reason=reason.strip(),
            posted_at=clock.now(),
            posted_by=actor_or_none(actor),
            submission_key=submission_key,
        ),
    )
    plan_complete_if_paid(patient=patient)
    return adjustment


def adjustment_reverse_refusal_raise(*, adjustment: Adjustment, reason: str) -> None:
    """Refuse a reversal the ledger cannot take: without a reason, of a reversal, or of an adjustment reversed
    already. What reversing checks under the patient's lock, and what the ledger asks before it shows the reversal's
    confirmation."""
    if not reason.strip():
        raise Unprocessable("Give a reason.", fields={"reason": ["Required."]})
    if adjustment.reverses_id is not None or adjustment.amount < 0:
        raise InvalidTransition("A reversal cannot be reversed.")
    if Adjustment.objects.filter(reverses=adjustment).exists():
        raise Conflict("This adjustment has already been reversed.")


@transaction.atomic
def adjustment_reverse(*, actor, adjustment: Adjustment, reason: str) -> Adjustment:
    """Undo an adjustment with a reversing row (once; a reversal cannot itself be reversed)."""
    patient_lock(adjustment.patient)
    adjustment_reverse_refusal_raise(adjustment=adjustment, reason=reason)
    reversal = Adjustment.objects.create(
        patient_id=adjustment.patient_id,
        kind=AdjustmentKind.CORRECTION,
        amount=-adjustment.amount,
        charge=adjustment.charge,
        reverses=adjustment,
        reason=reason.strip(),
        posted_at=clock.now(),
        posted_by=actor_or_none(actor),
    )
    plan_reopen_if_owed(patient=adjustment.patient, undone_posted_at=adjustment.posted_at)
    return reversal
