"""Delivery channels: email through Django's email framework, SMS through an adapter (Twilio or console).

A channel hands a message over in steps. `deliver_*` does everything up to the point of no return and
returns a `Handover`; the caller records the outbox row as sent and passes the point of no return
(`release`) together with its commit, then waits for the answer (`finish`); if anything fails before,
`abort`. Over SMTP the point of no return is the end-of-data mark, so a sender that dies before its commit
has delivered nothing; after it, only an explicit refusal says the server did not take the message, and a
silence leaves it unknown (`DeliveryUnconfirmed`). Over an HTTP API (Twilio, anymail's providers) the
provider has the message once it answers, so the commit follows its answer as closely as possible.
"""

import logging
import re
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from anymail.exceptions import AnymailError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The channel could not hand the message over. `permanent` errors are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class DeliveryUnconfirmed(Exception):
    """The channel has the whole message but gave no clear answer (none in time, or a garbled one): it may have
    taken it. Sending it again could deliver it twice, so it counts as sent, marked unconfirmed for staff."""


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
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "clinic.localhost"
    email = EmailMultiAlternatives(
        subject=outgoing.rendered.subject,
        body=outgoing.rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[outgoing.to_address],
        reply_to=[outgoing.rendered.reply_to] if outgoing.rendered.reply_to else None,
        # A stable id lets a receiving system recognise a repeat of the same outbox row.
        headers={"Message-ID": f"<message-{outgoing.message_id}@{domain}>"},
    )
    if outgoing.rendered.html:
        email.attach_alternative(outgoing.rendered.html, "text/html")
    return email


_LEADING_DOT = re.compile(rb"(?m)^\.")


@dataclass
class Handover:
    """A message handed to its channel up to the point of no return.

    `release` passes that point (over SMTP: writes the end-of-data mark); `finish` waits for the channel's
    answer; `abort` drops the message before the point of no return.
    """

    provider_id: str = ""
    release: Callable[[], None] = field(default=lambda: None)
    finish: Callable[[], None] = field(default=lambda: None)
    abort: Callable[[], None] = field(default=lambda: None)


def _smtp_until_end_of_data(
    backend: SMTPBackend, email: EmailMultiAlternatives, *, keep_open: bool, reply_timeout: float
) -> Handover:
    """Send the whole message over SMTP except the final "<CRLF>.<CRLF>".

    An SMTP server delivers a message only once it reads that end mark; a connection that drops before it
    discards the message. The caller records the message as sent and releases the end mark together with
    its commit, so a sender killed before them has delivered nothing and the row is still pending. With
    `keep_open` the connection stays up for the caller's next message. The server's answer to the end mark is
    awaited for `reply_timeout` seconds: a server may check a whole message before it answers.
    """
    if backend.open():
        # The end mark goes out alone, after the body: with Nagle's algorithm the kernel holds that small
        # write until the server acknowledges the body, which a server delaying its ACKs answers only after
        # ~40 ms, a stall on every message of a batch.
        backend.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = backend.connection

    def abort() -> None:
        # Close without QUIT: inside DATA a QUIT would be read as message text.
        conn.close()
        backend.connection = None

    try:
        encoding = email.encoding or settings.DEFAULT_CHARSET
        sender = sanitize_address(email.from_email, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in email.recipients()]
        data = email.message().as_bytes(linesep="\r\n")
        conn.ehlo_or_helo_if_needed()
        code, reply = conn.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        refused = {}
        for recipient in recipients:
            code, reply = conn.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, reply)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
        code, reply = conn.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = _LEADING_DOT.sub(b"..", data)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        conn.send(body)
    except (smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused):
        # Refused before DATA: the server holds nothing of this message, and after a reset the same connection
        # carries the batch's next one.
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            abort()
        else:
            if not keep_open:
                backend.close()
        raise
    except BaseException:
        abort()
        raise

    def release() -> None:
        try:
            conn.send(b".\r\n")
        except (smtplib.SMTPException, OSError) as exc:
            abort()
            raise DeliveryError(f"Mail server connection lost at the end of the message: {exc}"[:450]) from exc

    def finish() -> None:
        # The server has read the end mark: it may have queued the message whatever happens to its answer. Only
        # a refusal says it did not (4xx: try again later; 5xx: never); silence or a garbled line says nothing.
        try:
            conn.sock.settimeout(reply_timeout)
            code, reply = conn.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            abort()
            raise DeliveryUnconfirmed(
                f"The mail server gave no answer after taking the whole message ({exc.__class__.__name__})."
            ) from exc
        if code == 250:
            conn.sock.settimeout(backend.timeout)
            if not keep_open:
                backend.close()
            return
        abort()
        if 400 <= code < 600:
            raise DeliveryError(
                f"The mail server refused the message after taking it: {code} {reply.decode(errors='replace')}"[:450],
                permanent=code >= 500,
            )
        raise DeliveryUnconfirmed("The mail server's answer after taking the whole message was not a reply code.")

    return Handover(release=release, finish=finish, abort=abort)


def email_connection():
    """An email backend connection a batch of messages can share (opened on first use)."""
    return get_connection(fail_silently=False)


def deliver_email(outgoing: Outgoing, *, connection=None, reply_timeout: float | None = None) -> Handover:
    """Hand an email to Django's email backend; `connection` (from `email_connection`) is reused if given. Over
    SMTP the answer to the whole message is awaited for `reply_timeout` seconds (default: EMAIL_TIMEOUT)."""
    email = email_for(outgoing)
    backend = connection or email_connection()
    try:
        if isinstance(backend, SMTPBackend):
            return _smtp_until_end_of_data(
                backend, email, keep_open=connection is not None, reply_timeout=reply_timeout or backend.timeout
            )
        # HTTP providers (anymail) and the console / in-memory backends: they have it once this returns.
        backend.send_messages([email])
    except smtplib.SMTPRecipientsRefused as exc:
        # 5xx: the address is wrong for good; 4xx (mailbox busy, greylisting): try again later.
        permanent = all(code >= 500 for code, _reply in exc.recipients.values())
        raise DeliveryError(
            "The mail server refused the recipient address."
            if permanent
            else "The mail server deferred the recipient.",
            permanent=permanent,
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"Mail server error: {exc.__class__.__name__}: {exc}"[:450]) from exc
    except AnymailError as exc:
        # A provider-side rejection through anymail; retried with backoff like a mail server error.
        raise DeliveryError(f"Email provider error: {exc.__class__.__name__}: {exc}"[:450]) from exc
    status = getattr(email, "anymail_status", None)
    return Handover(provider_id=str(status.message_id) if status is not None and status.message_id else "")


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
