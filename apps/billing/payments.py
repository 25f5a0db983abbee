"""Card payment providers behind one adapter: Stripe Checkout, or "offline" for a clinic that takes no card payments
online (patients pay at the front desk, where staff record cash, check and card-present payments)."""

import hashlib
import hmac
import json
import time
import uuid
from decimal import Decimal

import stripe
from django.conf import settings
from django.urls import reverse

from apps.core.errors import ApplicationError
from apps.core.links import absolute_url
from clinic.published_secrets import PUBLISHED


class RefundRefused(ApplicationError):
    """The provider answered that it will not make the refund: nothing was refunded."""

    status = 409
    code = "refund_refused"


class ProviderUnavailable(ApplicationError):
    """The provider did not answer clearly (a timeout, its own error): the refund may or may not have been made.
    Asking again with the same idempotency key finds out without refunding twice."""

    status = 503
    code = "provider_unavailable"


class SignatureInvalid(ApplicationError):
    status = 400
    code = "signature_invalid"


# The metadata key a provider refund carries the clinic's CardRefund id under.
REFUND_REQUEST_METADATA = "card_refund_id"


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


class StripeBackend:
    name = "stripe"

    def _key(self) -> str:
        return settings.STRIPE_SECRET_KEY

    def checkout_create(self, *, checkout, email: str, success_url: str, cancel_url: str) -> tuple[str, str]:
        metadata = {"checkout_id": str(checkout.pk), "patient_id": str(checkout.patient_id)}
        session = stripe.checkout.Session.create(
            api_key=self._key(),
            mode="payment",
            line_items=[
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": to_cents(checkout.amount),
                        "product_data": {
                            "name": "Payment plan installment" if checkout.plan_id else "Payment on account"
                        },
                    },
                }
            ],
            customer_email=email or None,
            client_reference_id=str(checkout.pk),
            metadata=metadata,
            payment_intent_data={"metadata": metadata},
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=f"checkout-{checkout.pk}",
        )
        return session["id"], session["url"]

    def refund(self, *, payment, amount: Decimal, idempotency_key: str, card_refund_id: int) -> str:
        """The provider's refund id. Raises RefundRefused when the provider says no (nothing refunded), and
        ProviderUnavailable when its answer is unknown (asking again with the same key is safe). The refund carries
        the clinic's request id (`card_refund_id` in its metadata), so the provider's refund event names the request
        it settles, and a refund made in the provider's dashboard is never taken for it."""
        try:
            refund = stripe.Refund.create(
                api_key=self._key(),
                payment_intent=payment.provider_reference,
                amount=to_cents(amount),
                metadata={REFUND_REQUEST_METADATA: str(card_refund_id)},
                idempotency_key=idempotency_key,
            )
        except (
            stripe.InvalidRequestError,
            stripe.CardError,
            stripe.AuthenticationError,
            stripe.PermissionError,
        ) as exc:
            raise RefundRefused(
                f"The card provider refused the refund: {exc.user_message or 'no reason given'}."
            ) from exc
        except stripe.StripeError as exc:
            raise ProviderUnavailable("The card provider did not answer.") from exc
        if getattr(refund, "status", None) in ("failed", "canceled"):
            raise RefundRefused("The card provider refused the refund.")
        return refund["id"]

    def event_parse(self, *, payload: bytes, signature: str) -> dict:
        """Verify the Stripe-Signature header (HMAC-SHA256, five-minute tolerance) before trusting a byte."""
        if settings.STRIPE_WEBHOOK_SECRET in PUBLISHED["STRIPE_WEBHOOK_SECRET"] and not (
            settings.CLINIC_ACCEPT_PUBLISHED_WEBHOOK_SECRET
        ):
            # Anyone can sign with a secret this repository published, so such a signature proves nothing.
            raise SignatureInvalid("The webhook signing secret is not configured.")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=300
            )
            return json.loads(payload)
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
            raise SignatureInvalid("The webhook signature is not valid.") from exc


class OnlineCardPaymentsOff(ApplicationError):
    status = 409
    code = "online_card_payments_off"


class OfflineBackend(StripeBackend):
    """No card payments online. A patient can never record a payment themselves: there is no checkout to start, and
    only staff post payments. Refunds of card payments recorded under this name (demo and benchmark data) are
    settled locally."""

    name = "offline"

    def checkout_create(self, *, checkout, email: str, success_url: str, cancel_url: str) -> tuple[str, str]:
        raise OnlineCardPaymentsOff("The clinic does not take card payments online.")

    def refund(self, *, payment, amount: Decimal, idempotency_key: str, card_refund_id: int) -> str:
        return f"re_offline_{uuid.uuid4().hex}"


class SandboxBackend(StripeBackend):
    """A stand-in for the provider's hosted checkout, for development and the local demo only (production settings
    refuse it). Its page is ours; paying there produces an event shaped like Stripe's checkout.session.completed,
    applied by the same function the webhook calls, so the whole card path can be walked without a network."""

    name = "sandbox"

    def checkout_create(self, *, checkout, email: str, success_url: str, cancel_url: str) -> tuple[str, str]:
        return f"cs_sandbox_{uuid.uuid4().hex}", absolute_url(
            reverse("portal:billing:sandbox_checkout", args=[checkout.pk])
        )

    def refund(self, *, payment, amount: Decimal, idempotency_key: str, card_refund_id: int) -> str:
        return f"re_sandbox_{uuid.uuid4().hex}"

    def completion_event(self, *, checkout) -> dict:
        return {
            "id": f"evt_sandbox_{uuid.uuid4().hex}",
            "type": "checkout.session.completed",
            "data": {
                "object": {
                    "object": "checkout.session",
                    "id": checkout.provider_session_id,
                    "payment_intent": f"pi_sandbox_{checkout.pk}",
                    "payment_status": "paid",
                    "amount_total": to_cents(checkout.amount),
                    "metadata": {"checkout_id": str(checkout.pk)},
                }
            },
        }


def sign_payload(payload: bytes, *, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for a payload, computed the way Stripe does: t=<unix>,v1=HMAC-SHA256(t.payload)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


BACKENDS = {"stripe": StripeBackend, "offline": OfflineBackend, "sandbox": SandboxBackend}


def online_card_payments() -> bool:
    """Whether patients can pay by card in the portal; if not, the portal says how to pay instead."""
    return OfflineBackend.name != settings.CLINIC_PAYMENT_BACKEND


def payment_backend(name: str | None = None):
    name = name or settings.CLINIC_PAYMENT_BACKEND
    try:
        return BACKENDS[name]()
    except KeyError as exc:
        raise RuntimeError(f"Unknown payment backend {name!r}") from exc
