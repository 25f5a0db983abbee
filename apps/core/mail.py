"""Handing an email to the mail server at most once, for every app that sends one (the outbox's messages, accounts'
emails).

A channel hands a message over in steps. `email_hand_over` does everything up to the point of no return and returns a
`Handover`; the caller records the message as sent and passes the point of no return (`release`) together with its
commit (`commit_releasing`), then waits for the answer (`finish`); if anything fails before, `abort`. Over SMTP the
point of no return is the end-of-data mark, so a sender that dies before its commit has delivered nothing; after it,
only an explicit refusal says the server did not take the message, and a silence leaves it unknown
(`DeliveryUnconfirmed`). Over an HTTP API (anymail's providers) the provider has the message once it answers, so the
commit follows its answer as closely as possible.
"""

import re
import selectors
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from anymail.exceptions import AnymailError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.db import DatabaseError, transaction

from .mail_wire import email_bytes, envelope_sender


class DeliveryError(Exception):
    """The channel could not hand the message over. `permanent` errors are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class DeliveryUnconfirmed(Exception):
    """The channel has the whole message but gave no clear answer (none in time, or a garbled one): it may have
    taken it. Sending it again could deliver it twice, so it counts as sent, marked unconfirmed for staff."""


def message_id(key: str) -> str:
    """A Message-ID header made from `key`, the sender's own name for one message (its row): the same each time that
    message is handed over, so a receiving system can recognise a repeat."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "clinic.localhost"
    return f"<{key}@{domain}>"


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
        sender = envelope_sender(email.from_email, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in email.recipients()]
        data = email_bytes(email)
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


def email_hand_over(email: EmailMultiAlternatives, *, connection=None, reply_timeout: float | None = None) -> Handover:
    """Hand an email to Django's email backend; `connection` (from `email_connection`) is reused if given. Over
    SMTP the answer to the whole message is awaited for `reply_timeout` seconds (default: EMAIL_TIMEOUT)."""
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


def _wait_for(fileno: int, event: int) -> None:
    """Block until the database socket is ready. A selector (epoll/poll), not select(), which refuses a descriptor
    numbered above 1023, as a long-running worker's socket can be."""
    with selectors.DefaultSelector() as ready:
        ready.register(fileno, event)
        ready.select()


def commit_releasing(release) -> bool:
    """Commit the outermost transaction with `release` run between sending COMMIT and awaiting its answer.

    The commit request and the channel's point of no return (the SMTP end-of-data mark) leave the process
    back to back, before it waits on either: a sender killed at any moment has sent both (the database
    commits what it received, the kernel delivers what was written) or neither, short of the gap between
    two system calls. Returns False, doing nothing, inside a caller's transaction, which then decides.
    """
    connection = transaction.get_connection()
    if len(connection.atomic_blocks) != 1 or connection.vendor != "postgresql":
        return False
    pgconn = connection.connection.pgconn
    pgconn.send_query(b"COMMIT")
    while pgconn.flush():
        _wait_for(pgconn.socket, selectors.EVENT_WRITE)
    try:
        release()
    finally:
        while True:
            pgconn.consume_input()
            if not pgconn.is_busy():
                break
            _wait_for(pgconn.socket, selectors.EVENT_READ)
        outcome = None
        while (result := pgconn.get_result()) is not None:
            outcome = result.command_status
    if outcome != b"COMMIT":
        raise DatabaseError("The message's transaction did not commit.")
    return True
