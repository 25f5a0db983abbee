"""Online card payments: starting a checkout with the card provider, and applying the provider's signed events
(completed, expired, refunded) to the ledger at most once each.
"""

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.core import clock
from apps.core.api_lookups import id_or_none
from apps.core.errors import ApplicationError, Conflict, NotFound, Unprocessable
from apps.core.links import absolute_url
from apps.core.money import ZERO, money_text

from ..models import (
    CardRefund,
    CardRefundStatus,
    CheckoutSession,
    CheckoutStatus,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PlanStatus,
    ProviderEvent,
)
from ..payments import (
    REFUND_REQUEST_METADATA,
    OnlineCardPaymentsOff,
    from_cents,
    online_card_payments,
    payment_backend,
)
from ..selectors.ledger import patient_balance, payment_refunded
from ..selectors.plans import plan_next_instalment, plan_paid
from .common import patient_lock, positive_money
from .payments import card_refund_post, receipt_number_next, refund_post
from .plans import plan_complete_if_paid

logger = logging.getLogger(__name__)


@transaction.atomic
def checkout_start(*, actor, patient, amount=None, plan: PaymentPlan | None = None) -> CheckoutSession:
    """Start a card payment for some or all of the balance; the patient is sent to the provider's page.

    Made against the patient's active `plan`, it pays instalments: the amount defaults to what is due on the next
    one and may not exceed what is left of the plan; once settled it counts toward the plan like a payment taken
    at the front desk against it."""
    balance = patient_balance(patient=patient)
    if plan is not None:
        if plan.patient_id != patient.pk or plan.status != PlanStatus.ACTIVE:
            raise Unprocessable("That is not your active payment plan.", fields={"plan": ["Not active."]})
        next_due = plan_next_instalment(plan=plan, balance=balance)
        default = next_due["due"] if next_due else ZERO
        left = plan.total - plan_paid(plan=plan)
    else:
        default = balance
    amount = default if amount in (None, "") else positive_money(amount, "amount")
    if amount <= 0:
        raise Unprocessable("There is nothing to pay.")
    if amount > balance:
        owed = f"the balance of {money_text(balance)}" if balance > 0 else "the balance: nothing is owed"
        raise Unprocessable(f"That is more than {owed}.", fields={"amount": ["More than you owe."]})
    if plan is not None and amount > left:
        raise Unprocessable(
            f"That is more than is left to pay on your plan ({money_text(left)}).",
            fields={"amount": ["More than is left on the plan."]},
        )
    backend = payment_backend()
    if not online_card_payments():
        raise OnlineCardPaymentsOff("The clinic does not take card payments online.")
    checkout = CheckoutSession.objects.create(
        patient=patient, amount=amount, provider=backend.name, plan=plan, created_by=actor
    )
    done = absolute_url(reverse("portal:billing:checkout_return", args=[checkout.pk]))
    session_id, url = backend.checkout_create(
        checkout=checkout, email=patient.email, success_url=done + "?result=success", cancel_url=done + "?result=cancel"
    )
    checkout.provider_session_id = session_id
    checkout.redirect_url = url
    checkout.save(update_fields=["provider_session_id", "redirect_url", "updated_at"])
    return checkout


class RetryLater(Conflict):
    """An event refers to something not known yet; the provider retries it later."""

    code = "retry_later"


class EventMalformed(ApplicationError):
    """A correctly signed event whose body is not shaped like a provider event: refused, nothing written."""

    status = 400
    code = "event_malformed"


# The event fields the handlers read, by the type each must have when present.
EVENT_TEXT_FIELDS = ("object", "id", "payment_intent", "payment_status")
EVENT_CENT_FIELDS = ("amount_total", "amount", "amount_refunded")
EVENT_TEXT_MAX_LENGTH = 100  # provider ids are short; the payment reference column holds 100


def _event_parts(event) -> tuple[str, str, dict]:
    """The id, type and data object of an event, after checking every field a handler reads has its type."""
    if not isinstance(event, dict):
        raise EventMalformed("The event is not a JSON object.")
    event_id, event_type, data = event.get("id"), event.get("type", ""), event.get("data", {})
    if not isinstance(event_id, str) or not 0 < len(event_id) <= EVENT_TEXT_MAX_LENGTH:
        raise EventMalformed("The event has no id.")
    if not isinstance(event_type, str):
        raise EventMalformed("The event type is not text.")
    obj = data.get("object", {}) if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise EventMalformed("The event data is not an object.")
    for name in EVENT_TEXT_FIELDS:
        value = obj.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > EVENT_TEXT_MAX_LENGTH):
            raise EventMalformed(f"The event field {name} is not a short text.")
    for name in EVENT_CENT_FIELDS:
        if name in obj and (isinstance(obj[name], bool) or not isinstance(obj[name], int) or obj[name] < 0):
            raise EventMalformed(f"The event field {name} is not a number of cents.")
    if not isinstance(obj.get("metadata", {}), dict):
        raise EventMalformed("The event metadata is not an object.")
    return event_id, event_type, obj


def _event_refunds(obj: dict) -> list[dict] | None:
    """The refund objects a charge event lists (`refunds.data`), each checked for the fields read, or None when
    the event does not carry them."""
    listed = obj.get("refunds")
    if listed is None:
        return None
    data = listed.get("data") if isinstance(listed, dict) else None
    if not isinstance(data, list):
        raise EventMalformed("The event's refunds are not a list.")
    refunds = []
    for refund in data:
        if not isinstance(refund, dict):
            raise EventMalformed("A refund in the event is not an object.")
        refund_id, amount, status = refund.get("id"), refund.get("amount"), refund.get("status", "")
        metadata = refund.get("metadata") or {}
        if not isinstance(refund_id, str) or not 0 < len(refund_id) <= EVENT_TEXT_MAX_LENGTH:
            raise EventMalformed("A refund in the event has no id.")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise EventMalformed("A refund's amount is not a number of cents.")
        if not isinstance(status, str) or not isinstance(metadata, dict):
            raise EventMalformed("A refund in the event is malformed.")
        request = metadata.get(REFUND_REQUEST_METADATA, "")
        refunds.append(
            {
                "id": refund_id,
                "amount": amount,
                "status": status,
                "metadata": {REFUND_REQUEST_METADATA: request if isinstance(request, str) else ""},
            }
        )
    return refunds


def _required(obj: dict, name: str):
    if obj.get(name) is None:
        raise EventMalformed(f"The event has no {name}.")
    return obj[name]


def _checkout_for(obj: dict, *, provider: str) -> CheckoutSession | None:
    qs = CheckoutSession.objects.select_for_update().filter(provider=provider)
    if obj.get("object") == "checkout.session" and obj.get("id"):
        found = qs.filter(provider_session_id=obj["id"]).first()
        if found is not None:
            return found
    checkout_id = id_or_none((obj.get("metadata") or {}).get("checkout_id"))
    return qs.filter(pk=checkout_id).first() if checkout_id is not None else None


def _checkout_plan(checkout: CheckoutSession) -> PaymentPlan | None:
    """The plan a settling checkout pays toward, locked: None when it was not made against one, or when the plan
    was completed or cancelled while the card was being charged (the payment then lowers the balance only)."""
    if checkout.plan_id is None:
        return None
    plan = PaymentPlan.objects.select_for_update().get(pk=checkout.plan_id)
    return plan if plan.status == PlanStatus.ACTIVE else None


def _settle_checkout(*, checkout: CheckoutSession, payment_intent: str, amount: Decimal) -> Payment:
    """Post the card payment of a checkout once, whatever order its events arrive in. A checkout made against a
    payment plan counts toward it, and completes the plan once the plan's total is paid."""
    payment = Payment.objects.filter(provider=checkout.provider, provider_reference=payment_intent).first()
    if payment is None:
        # The card was charged: if the balance fell meanwhile (another payment), the excess is kept as credit.
        balance = patient_balance(patient=checkout.patient)
        plan = _checkout_plan(checkout)
        payment = Payment.objects.create(
            credit_on_account=amount > balance,
            patient_id=checkout.patient_id,
            method=PaymentMethod.CARD_ONLINE,
            amount=amount,
            received_at=clock.now(),
            provider=checkout.provider,
            provider_reference=payment_intent,
            receipt_number=receipt_number_next(),
            plan=plan,
        )
        plan_complete_if_paid(patient=checkout.patient)
    if checkout.payment_id is None:
        checkout.payment = payment
        checkout.status = CheckoutStatus.PAID
        checkout.save(update_fields=["payment", "status", "updated_at"])
    return payment


def _on_checkout_completed(obj: dict, *, provider: str, event_id: str) -> None:
    if obj.get("payment_status") != "paid":
        return
    amount = from_cents(_required(obj, "amount_total"))
    if amount <= ZERO:
        # Nothing was taken (a full discount at the provider): there is no payment to post, and refusing the event
        # would only have the provider send it again and again. It is acknowledged, and kept in the log.
        logger.warning("Checkout completed for nothing in %s event %s: no payment posted", provider, event_id)
        return
    checkout = _checkout_for(obj, provider=provider)
    if checkout is None:
        raise NotFound("No checkout matches this event.")
    patient_lock(checkout.patient)
    _settle_checkout(checkout=checkout, payment_intent=_required(obj, "payment_intent"), amount=amount)


def _on_checkout_expired(obj: dict, *, provider: str, event_id: str) -> None:
    checkout = _checkout_for(obj, provider=provider)
    if checkout is not None and checkout.status == CheckoutStatus.OPEN:
        checkout.status = CheckoutStatus.EXPIRED
        checkout.save(update_fields=["status", "updated_at"])


def _on_charge_refunded(obj: dict, *, provider: str, event_id: str) -> None:
    """Bring the refunds posted for a card payment up to the provider's cumulative refunded amount.

    Refund events carry the running total, so applying them in any order ends at the largest total; a refund
    staff already posted through payment_refund leaves nothing to add.
    """
    payment_intent = _required(obj, "payment_intent")
    payment = Payment.objects.filter(provider=provider, provider_reference=payment_intent, refund_of=None).first()
    if payment is None:
        # The refund overtook the completion event: settle the checkout from the charge itself.
        checkout = _checkout_for(obj, provider=provider)
        if checkout is None:
            raise RetryLater("The payment for this refund is not known yet.")
        patient_lock(checkout.patient)
        payment = _settle_checkout(
            checkout=checkout, payment_intent=payment_intent, amount=from_cents(_required(obj, "amount"))
        )
    else:
        patient_lock(payment.patient)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    target = from_cents(obj.get("amount_refunded", 0))
    missing = target - payment_refunded(payment=payment)
    # Refunds the clinic asked for and has not posted yet (the provider's answer was lost, or is on its way) are
    # posted as themselves, so their own confirmation later adds nothing.
    pending = CardRefund.objects.select_for_update().filter(payment=payment, status=CardRefundStatus.PENDING)
    refunds = _event_refunds(obj)
    if refunds is not None:
        # The charge lists its refunds: a waiting request is settled only by the refund that names it (the clinic
        # puts its id in the refund's metadata), never by one of the same amount made in the provider's dashboard.
        waiting = {str(r.pk): r for r in pending}
        for refund in refunds:
            card_refund = waiting.pop(refund["metadata"].get(REFUND_REQUEST_METADATA, ""), None)
            if card_refund is None or refund["status"] in ("failed", "canceled"):
                continue
            if from_cents(refund["amount"]) != card_refund.amount or card_refund.amount > missing:
                logger.warning("Refund %s does not fit card refund %s; not matched", refund["id"], card_refund.pk)
                continue
            card_refund_post(card_refund=card_refund, provider_reference=refund["id"])
            missing -= card_refund.amount
    else:
        # An event without its refunds cannot tell whose refund it is, nor whether a waiting request reached the
        # provider at all: none is taken as made. Only what the provider refunded beyond the ledger and beyond every
        # waiting request is posted (as its own row); the waiting ones are settled by asking the provider again with
        # their own keys (card_refunds_retry), which answers the refund made or makes it, and each refund made then
        # brings its own event, so the ledger ends at the provider's total.
        missing -= sum((card_refund.amount for card_refund in pending), ZERO)
    if missing > 0:  # refunded at the provider and not the clinic's request: posted as its own row
        posted = set(Payment.objects.filter(refund_of=payment).values_list("provider_reference", flat=True))
        unmatched = [r for r in refunds or () if r["status"] not in ("failed", "canceled") and r["id"] not in posted]
        own = unmatched[0]["id"] if len(unmatched) == 1 and from_cents(unmatched[0]["amount"]) == missing else None
        refund_post(
            actor=None,
            payment=payment,
            amount=missing,
            provider_reference=own or f"{payment_intent}:refunded:{obj.get('amount_refunded')}",
            note="Refunded by card",
        )


EVENT_HANDLERS = {
    "checkout.session.completed": _on_checkout_completed,
    "checkout.session.async_payment_succeeded": _on_checkout_completed,
    "checkout.session.expired": _on_checkout_expired,
    "charge.refunded": _on_charge_refunded,
}


@transaction.atomic
def provider_event_apply(*, provider: str, event: dict) -> bool:
    """Apply a verified provider event at most once. Returns False for an event already applied.

    The event id row is inserted first: a concurrent delivery of the same event waits on the unique index and then
    finds it taken, so replays (also simultaneous ones) change the ledger once.
    """
    event_id, event_type, obj = _event_parts(event)
    try:
        with transaction.atomic():
            ProviderEvent.objects.create(
                provider=provider, event_id=event_id, event_type=event_type[:100], received_at=clock.now()
            )
    except IntegrityError:
        return False
    handler = EVENT_HANDLERS.get(event_type)
    if handler is not None:
        handler(obj, provider=provider, event_id=event_id)
    logger.info("Applied %s event %s", provider, event_type)
    return True
