"""A local HTTP stand-in for the parts of Stripe's API the clinic calls, and Stripe-style signed webhook posts."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from django.conf import settings

from apps.billing.payments import sign_payload


class StripeStandIn:
    def __init__(self):
        self.requests: list[tuple[str, dict]] = []
        self.refund_keys: list[str | None] = []  # the Idempotency-Key header of each refund request, in turn
        self.refund_count = 0
        self.refunds_by_key: dict[str, dict] = {}
        # "up": answers; "down": makes the refund, then answers 500 (as if its answer were lost); "refusing": 400
        self.mode = "up"
        self.next_modes: list[str] = []  # modes for the next refund requests, in turn, before `mode` again
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                standin.requests.append((self.path, form))
                if self.path == "/v1/checkout/sessions":
                    checkout_id = form.get("metadata[checkout_id]")
                    answer = {
                        "id": f"cs_test_{checkout_id}",
                        "object": "checkout.session",
                        "url": f"https://checkout.stripe.test/c/pay/cs_test_{checkout_id}",
                        "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
                        "metadata": {"checkout_id": checkout_id},
                    }
                elif self.path == "/v1/refunds":
                    standin.refund_keys.append(self.headers.get("Idempotency-Key"))
                    mode = standin.next_modes.pop(0) if standin.next_modes else standin.mode
                    if mode == "refusing":
                        self._answer(400, {"error": {"type": "invalid_request_error", "message": "Charge disputed."}})
                        return
                    key = self.headers.get("Idempotency-Key")
                    if key not in standin.refunds_by_key:  # a key asked again answers the refund it made
                        standin.refund_count += 1
                        standin.refunds_by_key[key] = {
                            "id": f"re_test_{standin.refund_count}",
                            "object": "refund",
                            "status": "succeeded",
                            "amount": int(form["amount"]),
                            "metadata": {
                                name[len("metadata[") : -1]: value
                                for name, value in form.items()
                                if name.startswith("metadata[")
                            },
                        }
                    if mode == "down":
                        self._answer(500, {"error": {"type": "api_error", "message": "Try again."}})
                        return
                    answer = standin.refunds_by_key[key]
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self._answer(200, answer)

            def _answer(self, status: int, answer: dict):
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def dashboard_refund(self, *, amount: int) -> dict:
        """A refund made by hand in the provider's dashboard: no idempotency key, no metadata of the clinic's."""
        self.refund_count += 1
        refund = {"id": f"re_test_{self.refund_count}", "object": "refund", "status": "succeeded", "amount": amount}
        self.refunds_by_key[f"dashboard-{self.refund_count}"] = {**refund, "metadata": {}}
        return self.refunds_by_key[f"dashboard-{self.refund_count}"]

    def refunds(self) -> list[dict]:
        """Every refund made, newest first, as a charge object lists them in its `refunds`."""
        return list(reversed(self.refunds_by_key.values()))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def webhook_post(client, event: dict, *, timestamp: int | None = None, tamper: bool = False, secret: str | None = None):
    payload = json.dumps(event).encode()
    signature = sign_payload(payload, secret=secret or settings.STRIPE_WEBHOOK_SECRET, timestamp=timestamp)
    if tamper:
        payload = payload.replace(b'"amount_total": ', b'"amount_total": 1')
    return client.post(
        "/api/billing/webhooks/stripe/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def completed_event(checkout, *, event_id: str = "evt_completed_1") -> dict:
    return {
        "id": event_id,
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "object": "checkout.session",
                "id": checkout.provider_session_id,
                "payment_intent": f"pi_test_{checkout.pk}",
                "payment_status": "paid",
                "amount_total": int(checkout.amount * 100),
                "metadata": {"checkout_id": str(checkout.pk)},
            }
        },
    }


def refunded_event(checkout, *, amount_refunded: int, event_id: str, refunds: list[dict] | None = None) -> dict:
    """A charge.refunded event; with `refunds`, the charge carries its refund objects as the provider lists them."""
    event = {
        "id": event_id,
        "type": "charge.refunded",
        "data": {
            "object": {
                "object": "charge",
                "id": f"ch_test_{checkout.pk}",
                "payment_intent": f"pi_test_{checkout.pk}",
                "amount": int(checkout.amount * 100),
                "amount_refunded": amount_refunded,
                "metadata": {"checkout_id": str(checkout.pk)},
            }
        },
    }
    if refunds is not None:
        event["data"]["object"]["refunds"] = {"object": "list", "data": refunds, "has_more": False}
    return event


def expired_event(checkout, *, event_id: str) -> dict:
    return {
        "id": event_id,
        "type": "checkout.session.expired",
        "data": {"object": {"object": "checkout.session", "id": checkout.provider_session_id, "metadata": {}}},
    }
