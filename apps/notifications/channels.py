"""Delivery channels: email through Django's email framework, SMS through an adapter (Twilio or console).

A channel hands a message over in steps, as `apps.core.mail` describes: `deliver_*` does everything up to the
point of no return and returns a `Handover`; the caller records the outbox row as sent and passes the point of no
return (`release`) together with its commit, then waits for the answer (`finish`). Twilio, like anymail's
providers, has the message once it answers, so the commit follows its answer as closely as possible.
"""

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from apps.core.mail import DeliveryError, Handover, email_hand_over, message_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str
    reply_to: str = ""


@dataclass(frozen=True)
class Outgoing:
    message_id: int
    to_address: str
    rendered: Rendered


# -------------------------------------------------------------------------------------------------------------
# Email


def email_for(outgoing: Outgoing) -> EmailMultiAlternatives:
    """The email a rendered outbox row goes out as (its text, its HTML alternative, a stable Message-ID)."""
    email = EmailMultiAlternatives(
        subject=outgoing.rendered.subject,
        body=outgoing.rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[outgoing.to_address],
        reply_to=[outgoing.rendered.reply_to] if outgoing.rendered.reply_to else None,
        # A stable id lets a receiving system recognise a repeat of the same outbox row.
        headers={"Message-ID": message_id(f"message-{outgoing.message_id}")},
    )
    if outgoing.rendered.html:
        email.attach_alternative(outgoing.rendered.html, "text/html")
    return email


def deliver_email(outgoing: Outgoing, *, connection=None, reply_timeout: float | None = None) -> Handover:
    """Hand a rendered outbox row's email to the mail server (`email_hand_over`)."""
    return email_hand_over(email_for(outgoing), connection=connection, reply_timeout=reply_timeout)


# -------------------------------------------------------------------------------------------------------------
# SMS


class ConsoleSMS:
    """Development: the text goes to the log instead of a phone. With DEBUG off (a demo under production settings)
    only that a text would have gone is logged: its words carry a patient's sessions and signed links."""

    def send(self, *, to: str, body: str, status_callback: str) -> str:
        if settings.DEBUG:
            logger.info("SMS to %s: %s", to, body)
        else:
            logger.info("SMS to a number ending %s (%d characters) not sent: no text provider", to[-4:], len(body))
        return ""


class TwilioSMS:
    """Twilio's Messages API through its SDK. TWILIO_API_BASE_URL points it at a stand-in in tests."""

    def __init__(self):
        from twilio.base.exceptions import TwilioException, TwilioRestException
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        base = settings.TWILIO_API_BASE_URL.rstrip("/")

        class _HttpClient(TwilioHttpClient):
            def request(self, method, url, *args, **kwargs):
                if base:
                    url = re.sub(r"^https://api\.twilio\.com", base, url)
                return super().request(method, url, *args, **kwargs)

        self._rest_error = TwilioRestException
        self._error = TwilioException
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=_HttpClient(timeout=settings.TWILIO_TIMEOUT),
        )

    def send(self, *, to: str, body: str, status_callback: str) -> str:
        params = {"to": to, "body": body, "status_callback": status_callback}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            params["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            params["from_"] = settings.TWILIO_FROM_NUMBER
        try:
            return self.client.messages.create(**params).sid
        except self._rest_error as exc:
            # 4xx other than rate limiting means the request itself is wrong (bad number, opted out).
            permanent = 400 <= exc.status < 500 and exc.status != 429
            raise DeliveryError(f"Twilio error {exc.code}: {exc.msg}"[:450], permanent=permanent) from exc
        except (self._error, OSError) as exc:
            raise DeliveryError(f"Twilio unreachable: {exc.__class__.__name__}"[:450]) from exc


SMS_BACKENDS = {"console": ConsoleSMS, "twilio": TwilioSMS}


def sms_backend():
    try:
        return SMS_BACKENDS[settings.CLINIC_SMS_BACKEND]()
    except KeyError as exc:
        raise DeliveryError(f"Unknown CLINIC_SMS_BACKEND {settings.CLINIC_SMS_BACKEND!r}", permanent=True) from exc


def deliver_sms(outgoing: Outgoing, *, status_callback: str) -> Handover:
    sid = sms_backend().send(to=outgoing.to_address, body=outgoing.rendered.sms, status_callback=status_callback)
    return Handover(provider_id=sid)
