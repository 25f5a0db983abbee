"""Session packages: selling a bundle of sessions at the patient's slid price (one charge on the ledger), covering
the sessions it is used for instead of charging them, and refunding what is left of it.

Lock order, as every ledger write: the patient, then the purchase. Two sessions completed at once for a package
with one session left therefore queue on the patient row; the second finds the package used up and is charged.
"""

import datetime as dt
import uuid
from collections import Counter
from decimal import Decimal

from django.db import transaction

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import Conflict, InvalidTransition, Unprocessable
from apps.core.money import ZERO, money, money_text
from apps.core.submissions import RecordedOnce, Sending
from apps.core.transitions import actor_or_none

from .. import pricing
from ..models import (
    Adjustment,
    AdjustmentKind,
    CardRefund,
    CardRefundStatus,
    Charge,
    ChargeKind,
    PackageOffering,
    PackagePurchase,
    PackageSession,
    PackageStatus,
    Payment,
    PaymentMethod,
)
from ..payments import ProviderUnavailable, RefundRefused
from ..selectors.ledger import amount_total, patient_balance
from ..selectors.packages import package_covering, packages_covering, packages_in_force
from .common import appointment_charge, charge_at, patient_lock
from .payments import adjustment_post, card_refund_record, card_refund_send, payment_refund, payment_refundable

# A session a package covers stands on the ledger at no charge, under a class of its own.
COVERED = pricing.Price(
    class_code=pricing.PACKAGE_CLASS, class_label="Covered by a session package", full_fee=ZERO, fee=ZERO
)
POLICY_KINDS = (ChargeKind.LATE_CANCEL, ChargeKind.NO_SHOW)

PACKAGE_SALE_ONCE = RecordedOnce(
    model=PackagePurchase,
    noun="package sale",
    elsewhere="to another patient",
    described=lambda purchase: f"the sale of “{purchase.offering.name}” for {money_text(purchase.price)}",
)

PACKAGE_REFUND_ONCE = RecordedOnce(
    model=PackagePurchase,
    noun="package refund",
    elsewhere="of another package",
    described=lambda purchase: f"the refund of “{purchase.offering.name}”",
    key_field="close_submission_key",
)


def package_quote(*, patient, offering: PackageOffering, on: dt.date) -> pricing.Price:
    """The price `patient` would pay for `offering` on `on`, or why it cannot be sold to them."""
    if not offering.is_active:
        raise Conflict(f"“{offering.name}” is no longer sold.")
    # One in force per offering (a lapsed one is closed by the sale itself): the confirmation says so before asking.
    if packages_in_force(patient=patient, on=on).filter(offering=offering).exists():
        raise Conflict(f"This patient already has an active “{offering.name}” package.")
    if offering.slides_with_class and pricing.assessment_in_force(patient=patient, on=on) is None:
        raise Conflict(
            f"“{offering.name}” is priced at the patient's sliding-scale class, and this patient has no approved "
            "assessment in force. Review their assessment first."
        )
    return pricing.package_price(
        patient=patient,
        full_price=offering.full_price,
        sessions=offering.session_count,
        on=on,
        slides=offering.slides_with_class,
    )


@transaction.atomic
def package_purchase(
    *, actor, patient, offering: PackageOffering, submission_key: uuid.UUID | None = None
) -> PackagePurchase:
    """Sell `offering` to `patient` at today's slid price: one package charge on the ledger, the price frozen on
    the purchase. One active package per offering and patient (also held by a unique index).

    One `submission_key` (the sale's confirmation) sells at most once: sent again, it answers the package it sold
    (`replayed` set) rather than being refused as a second package; for another patient or offering it is refused
    (409)."""
    patient_lock(patient)
    sending = Sending(key=submission_key, owner={"patient_id": patient.pk}, content={"offering_id": offering.pk})
    if (recorded := PACKAGE_SALE_ONCE.recorded(sending)) is not None:  # before the check that it is not held
        return recorded
    today = clock.local_now().date()
    price = package_quote(patient=patient, offering=offering, on=today)
    # A lapsed package of the same offering is closed here, the moment it would otherwise block the new one.
    PackagePurchase.objects.filter(
        patient=patient, offering=offering, status=PackageStatus.ACTIVE, expires_on__lte=today
    ).update(status=PackageStatus.EXPIRED, closed_at=clock.now(), updated_at=clock.now())
    purchase = PACKAGE_SALE_ONCE.record(
        sending,
        lambda: _package_sold(
            actor=actor, patient=patient, offering=offering, price=price, on=today, submission_key=submission_key
        ),
    )
    access_log_write(
        actor=actor,
        action="package_purchase",
        subject=purchase,
        patient_id=patient.pk,
        detail={"offering": offering.pk, "price": str(price.fee)},
    )
    return purchase


def _package_sold(*, actor, patient, offering, price: pricing.Price, on: dt.date, submission_key) -> PackagePurchase:
    charge = charge_at(
        actor=actor,
        patient=patient,
        price=price,
        kind=ChargeKind.PACKAGE,
        service_type_id=offering.service_type_id,
        service_date=on,
        description=f"Package: {offering.name} ({offering.session_count} sessions)",
    )
    charge.save()
    return PackagePurchase.objects.create(
        offering=offering,
        patient=patient,
        service_type_id=offering.service_type_id,
        sessions_total=offering.session_count,
        full_price=price.full_fee,
        price=price.fee,
        class_code=price.class_code,
        class_label=price.class_label,
        charge=charge,
        purchased_on=on,
        expires_on=on + dt.timedelta(days=offering.valid_days),
        sold_by=actor_or_none(actor),
        submission_key=submission_key,
    )


def package_sale_seen(submission_key: uuid.UUID | None) -> bool:
    """Whether a package was sold with this key: the sale's confirmation, reloaded or reached again by Back, answers
    the sale instead of asking again (the patient now holds the package, which the confirmation would refuse)."""
    return submission_key is not None and PackagePurchase.objects.filter(submission_key=submission_key).exists()


def _clinic_charges_outcome(*, appointment, kind: str) -> bool:
    """A completed session is always a package session; a late cancellation or no-show uses one only when the
    clinic would charge for it."""
    return kind not in POLICY_KINDS or _policy_fee_charged(
        pricing.outcome_price(appointment=appointment, policy_fee=True)
    )


def _policy_fee_charged(price: pricing.Price | None) -> bool:
    return price is not None and price.fee > ZERO


def outcome_previews(*, appointments, policy_fee: bool) -> list[pricing.Price | None]:
    """What recording each session's outcome would post, before it happens (what the confirmations state), by the
    rules the outcome's charge follows. A completed session (not `policy_fee`) uses a session of the patient's
    package of its service when one covering the session date has one left (COVERED), else posts its fee at the
    patient's class. A late cancellation or no-show (`policy_fee`) posts nothing when the clinic charges nothing for
    it (None, or a zero fee), else uses a package session in the same way, else posts the policy fee at the
    patient's class. The sessions are taken in order, as their charges post: several at once (a series cancelled
    late from one session on) use a package's sessions in turn, and those past what it has left are priced. Read
    without the locks the charges take."""
    taken: Counter[int] = Counter()  # package sessions the earlier sessions of this preview would use
    held: dict[tuple[int, int], list[PackagePurchase]] = {}  # active packages by (patient, service), read once
    dates = [pricing.session_date(appointment) for appointment in appointments]
    prices = []
    for appointment, on in zip(appointments, dates, strict=True):
        price = pricing.outcome_price(appointment=appointment, policy_fee=policy_fee)
        if appointment.patient_id is not None and (not policy_fee or _policy_fee_charged(price)):
            key = (appointment.patient_id, appointment.service_type_id)
            if key not in held:
                # Those covering the earliest date are the widest set; each session keeps those valid on its own.
                held[key] = list(packages_covering(patient=appointment.patient, service_type_id=key[1], on=min(dates)))
            covering = (p for p in held[key] if p.expires_on > on)
            purchase = next((p for p in covering if p.sessions_total - p.sessions_used > taken[p.pk]), None)
            if purchase is not None:
                taken[purchase.pk] += 1
                price = COVERED
        prices.append(price)
    return prices


def package_session_cover(*, actor, appointment, patient, kind: str) -> Charge | None:
    """Cover an appointment's outcome with the patient's active package of its service, if one covers the session
    date: the package's next session is used and a zero-amount line stands on the ledger for the charge. None
    when no package covers it (the caller charges it). Runs inside the caller's transaction, which holds the
    patient's lock (`patient`, from patient_lock)."""
    if not _clinic_charges_outcome(appointment=appointment, kind=kind):
        return None
    on = pricing.session_date(appointment)
    purchase = package_covering(patient=patient, service_type_id=appointment.service_type_id, on=on, lock=True)
    if purchase is None:
        return None
    purchase.sessions_used += 1
    if purchase.sessions_used == purchase.sessions_total:
        purchase.status = PackageStatus.USED_UP
    purchase.save(update_fields=["sessions_used", "status", "updated_at"])
    what = "" if kind == ChargeKind.SESSION else f"{ChargeKind(kind).label.lower()}, "
    line = appointment_charge(
        actor=actor,
        appointment=appointment,
        patient=patient,
        kind=kind,
        service_date=on,
        price=COVERED,
        description=f"{appointment.service_type.name}: {what}covered by package "
        f"({purchase.sessions_used} of {purchase.sessions_total})",
    )
    line.save()
    covered = PackageSession.objects.create(
        purchase=purchase, appointment=appointment, number=purchase.sessions_used, charge=line, consumed_at=clock.now()
    )
    access_log_write(
        actor=actor, action="package_session_cover", subject=covered, patient_id=patient.pk, detail={"kind": kind}
    )
    return line


def package_refund_amount(purchase: PackagePurchase) -> Decimal:
    """The unused sessions' share of what the package cost the patient, to the cent: its price less what was
    already credited on its charge (a courtesy discount), × unused ÷ total. So the package's charge is never
    credited beyond its amount."""
    credited = amount_total(Adjustment.objects.filter(charge_id=purchase.charge_id))
    return money((purchase.price - credited) * purchase.sessions_remaining / purchase.sessions_total)


def _refund_shares(*, patient, amount: Decimal) -> list[tuple[Payment, Decimal]]:
    """Who gives `amount` back: the patient's payments, newest first, each for what is left to refund of it as the
    payment refund's own check counts it (payment_refundable: a card refund still waiting counts as given), and
    each share is then refunded through that check under the payment's lock. Every share is worked out first: with
    too little to give back, the refusal leaves the ledger and the card as they were."""
    shares = []
    left = amount
    for payment in Payment.objects.filter(patient=patient, refund_of__isnull=True).order_by("-received_at", "-id"):
        if left <= ZERO:
            break
        share = min(left, payment_refundable(payment=payment))
        if share > ZERO:
            shares.append((payment, share))
            left -= share
    if left > ZERO:
        raise Unprocessable(f"There are not enough payments to give {money_text(left)} back from.")
    return shares


def package_refund_refusal_raise(*, purchase: PackagePurchase) -> None:
    """Refuse to refund a package that is no longer active. What the refund checks under the package's lock, and what
    the refund page asks before it shows the figures to confirm."""
    if purchase.status != PackageStatus.ACTIVE:
        raise InvalidTransition(f"This package is {purchase.get_status_display().lower()}; nothing is left to refund.")


def _package_refund_checked(*, patient, purchase: PackagePurchase) -> tuple[PackagePurchase, Decimal, Decimal]:
    """Under the patient's lock: the package locked, what its unused sessions credit, and how much of that has to
    be given back from payments (what is above the balance). Refuses a package that is not active, and a patient
    in credit or with a card refund still waiting for the provider (the figures would not hold)."""
    purchase = PackagePurchase.objects.select_for_update().get(pk=purchase.pk)
    package_refund_refusal_raise(purchase=purchase)
    amount = package_refund_amount(purchase)
    if amount <= ZERO:
        return purchase, amount, ZERO
    if CardRefund.objects.filter(payment__patient=patient, status=CardRefundStatus.PENDING).exists():
        raise Conflict(
            "A card refund to this patient is still waiting for the card provider. Close the package once it is posted."
        )
    balance = patient_balance(patient=patient)
    if balance < ZERO:
        # The credit would take the balance below zero even after giving the package's share back: settle the
        # credit on account first, before any money leaves (a card's refund cannot be called back).
        raise Conflict(
            f"The patient has {money_text(-balance)} of credit on account. Refund that credit first, then close "
            "the package."
        )
    return purchase, amount, max(amount - balance, ZERO)


def _package_refund_note(purchase: PackagePurchase, reason: str) -> str:
    return f"{purchase.sessions_remaining} unused of {purchase.sessions_total} package sessions: {reason.strip()}"


def package_refund(
    *, actor, purchase: PackagePurchase, reason: str, submission_key: uuid.UUID | None = None
) -> PackagePurchase:
    """Close an active package and credit its unused sessions pro rata (package_refund_amount) against its charge.
    Whatever the patient has already paid of that credit is given back from their payments, newest first, so the
    balance never falls below zero. No session used: the package is cancelled and its whole price credited.

    Online card payments are refunded first, each through the provider outside the ledger's transaction (see
    payment_refund); the package is then closed in one transaction that gives back the rest (cash, check) and
    posts the credit. If the provider refuses or does not answer, the package stays active with whatever was
    refunded posted, and closing it again gives back only what is still missing.

    One `submission_key` (the refund's confirmation) closes the package at most once: sent again, it answers the
    package it closed (`replayed` set) rather than being refused as closed; for another package it is refused (409).
    """
    if not reason.strip():
        raise Unprocessable("Give a reason.", fields={"reason": ["Required."]})
    sending = Sending(key=submission_key, owner={"pk": purchase.pk}, content={})
    with transaction.atomic(durable=True):  # the card refunds are recorded, and committed, before any is asked for
        patient = patient_lock(purchase.patient)
        if (recorded := PACKAGE_REFUND_ONCE.recorded(sending)) is not None:
            return recorded
        checked, _amount, give_back = _package_refund_checked(patient=patient, purchase=purchase)
        note = _package_refund_note(checked, reason)
        card_refunds = [
            card_refund_record(actor=actor, payment=payment, amount=share, note=note)
            for payment, share in (_refund_shares(patient=patient, amount=give_back) if give_back > ZERO else [])
            if payment.method == PaymentMethod.CARD_ONLINE
        ]
    refunded: list[CardRefund] = []
    for index, card_refund in enumerate(card_refunds):
        try:
            card_refund_send(card_refund=card_refund)
        except (RefundRefused, ProviderUnavailable) as exc:
            not_asked = _card_refunds_not_asked(patient=patient, card_refunds=card_refunds[index + 1 :])
            message = _package_refund_failed_message(exc, refunded=refunded, failed=card_refund, not_asked=not_asked)
            raise type(exc)(message, fields=exc.fields, extra=exc.extra) from exc
        refunded.append(card_refund)
    return _package_close(actor=actor, purchase=purchase, reason=reason, sending=sending)


NOT_ASKED = "Not asked: an earlier refund of this package's close failed."


def _card_refunds_not_asked(*, patient, card_refunds: list[CardRefund]) -> list[CardRefund]:
    """Fail the close's card refunds not sent yet, so that nothing of a close staff were told failed is refunded
    later behind their back (card_refunds_retry asks only those still pending). Returns those failed."""
    if not card_refunds:
        return []
    with transaction.atomic(durable=True):
        patient_lock(patient)
        ids = [card_refund.pk for card_refund in card_refunds]
        CardRefund.objects.filter(pk__in=ids, status=CardRefundStatus.PENDING).update(
            status=CardRefundStatus.FAILED, failure=NOT_ASKED, settled_at=clock.now()
        )
        return list(CardRefund.objects.filter(pk__in=ids, failure=NOT_ASKED).select_related("payment").order_by("pk"))


def _package_refund_failed_message(
    exc, *, refunded: list[CardRefund], failed: CardRefund, not_asked: list[CardRefund]
) -> str:
    """What staff are told when a close stops at a card refund: the provider's answer, then what was refunded and
    what was not, and that the package stays open."""

    def listed(card_refunds, preposition, tail=""):
        return "; ".join(
            f"{money_text(r.amount)} {preposition} receipt {r.payment.receipt_number}{tail}" for r in card_refunds
        )

    parts = [exc.message]
    if refunded:
        parts.append(f"Refunded: {listed(refunded, 'to')}.")
    waiting = isinstance(exc, ProviderUnavailable)
    not_refunded = [listed([failed], "on", ", waiting for the provider" if waiting else ", refused")]
    if not_asked:
        not_refunded.append(listed(not_asked, "on", ", not asked"))
    parts.append(f"Not refunded: {'; '.join(not_refunded)}.")
    parts.append("The package stays open; closing it again gives back only what is still missing.")
    return " ".join(parts)


@transaction.atomic
def _package_close(*, actor, purchase: PackagePurchase, reason: str, sending: Sending) -> PackagePurchase:
    patient = patient_lock(purchase.patient)
    if (recorded := PACKAGE_REFUND_ONCE.recorded(sending)) is not None:  # closed by the same submission meanwhile
        return recorded
    purchase, amount, give_back = _package_refund_checked(patient=patient, purchase=purchase)
    note = _package_refund_note(purchase, reason)
    if amount > ZERO:
        for payment, share in _refund_shares(patient=patient, amount=give_back) if give_back > ZERO else []:
            if payment.method == PaymentMethod.CARD_ONLINE:  # the account changed since the card refunds were made
                raise Conflict("The patient's account changed while the package was being refunded. Try again.")
            payment_refund(actor=actor, payment=payment, amount=share, reason=note)
        adjustment_post(
            actor=actor,
            patient=patient,
            kind=AdjustmentKind.PACKAGE_REFUND,
            amount=amount,
            reason=note,
            charge=purchase.charge,
        )
    purchase.status = PackageStatus.CANCELLED if purchase.sessions_used == 0 else PackageStatus.REFUNDED
    purchase.credited = amount
    purchase.closed_at = clock.now()
    purchase.closed_by = actor_or_none(actor)
    purchase.close_reason = reason.strip()
    purchase.close_submission_key = sending.key
    fields = ["status", "credited", "closed_at", "closed_by", "close_reason", "close_submission_key", "updated_at"]
    # The key sent at the same moment to close another package is refused by its unique constraint (409).
    PACKAGE_REFUND_ONCE.record(sending, lambda: purchase.save(update_fields=fields))
    access_log_write(
        actor=actor,
        action="package_refund",
        subject=purchase,
        patient_id=purchase.patient_id,
        detail={"credited": str(amount), "unused": purchase.sessions_remaining},
    )
    return purchase
