"""Handing an account's email (an invitation, a reset link, a notice) to the mail server at most once, with its record.

Why the record says "sent" before the mail server acknowledges, rather than trusting a stable Message-ID to drop a
repeat: an SMTP server, like the providers behind anymail, delivers whatever it is handed and keeps no memory of the
Message-IDs it saw, so an id alone cannot keep a retry from arriving twice. Instead the record is marked sent in the
transaction whose commit leaves together with the end-of-data mark (`apps.core.mail.commit_releasing`), as the
outbox's messages are. A try that failed before that point left nothing with the server, and the worker retries it;
one that got past it leaves the record sent, so a retry or a task delivered again finds it so and sends nothing. A
server that took the whole message but answered late or not at all leaves it sent and unconfirmed rather than risk a
second copy; only its explicit refusal (4xx, 5xx) counts as not sent. Each email still carries a stable Message-ID
(`apps.core.mail.message_id`), for a receiving system that does recognise repeats.
"""

import smtplib
from collections.abc import Callable

from anymail.exceptions import AnymailError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from apps.core.mail import DeliveryError, DeliveryUnconfirmed, commit_releasing, email_hand_over

from .models import EmailFailure


class EmailRefused(Exception):
    """The mail server refused the email for good (a 5xx): another try would be refused the same way, so the worker
    gives up at once. Its cause is the channel's error, which says why (`email_failure_of`)."""


def send_once(
    *,
    mark_sent: Callable[[], EmailMultiAlternatives | None],
    not_taken: Callable[[BaseException, bool], None],
    unconfirmed: Callable[[], None],
) -> str:
    """Send the email `mark_sent` makes, at most once; returns "sent", "unconfirmed" or "nothing".

    `mark_sent` runs in a transaction: it locks the email's record and, unless the email went out already or is no
    longer wanted (it returns None, having recorded that itself), records it as sent and returns the email. That
    transaction's commit leaves with the end-of-data mark. When the server did not take the email, `not_taken(error,
    counted)` puts the record back (`counted`: its sent mark, with its attempt, had been committed) and the error is
    raised again: a DeliveryError, which the worker retries, or EmailRefused. `unconfirmed()` marks a record whose
    email the server may have taken without saying so."""
    handover = None
    releasing = False
    try:
        with transaction.atomic():
            email = mark_sent()
            if email is None:
                return "nothing"
            handover = email_hand_over(email)
            releasing = True
            released = commit_releasing(handover.release)
        if not released:  # inside a caller's transaction (a test's): it decides, and the mark goes out now
            handover.release()
        handover.finish()
    except DeliveryUnconfirmed:
        unconfirmed()
        return "unconfirmed"
    except DeliveryError as exc:
        not_taken(exc, releasing)
        if exc.permanent:
            raise EmailRefused(str(exc)) from exc
        raise
    except Exception:
        if handover is not None:
            handover.abort()
        if releasing:  # past the point of no return: the server may have it
            unconfirmed()
            return "unconfirmed"
        raise
    return "sent"


def email_failure_of(error: BaseException | None) -> EmailFailure:
    """Why an email was not sent, in words staff can act on: from the channel's error and what caused it, never its
    text, which may echo addresses, settings or the message."""
    if isinstance(error, EmailRefused | DeliveryError):
        return email_failure_of(error.__cause__) if error.__cause__ is not None else EmailFailure.REFUSED
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return EmailFailure.ADDRESS_REFUSED
    if isinstance(error, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused):
        return EmailFailure.CLINIC_REFUSED
    if isinstance(error, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return EmailFailure.UNREACHABLE
    if isinstance(error, smtplib.SMTPException | AnymailError):
        return EmailFailure.REFUSED
    # Refused connections, unknown hosts and timeouts: SMTPException is an OSError too, so this comes after it.
    if isinstance(error, OSError):
        return EmailFailure.UNREACHABLE
    return EmailFailure.ERROR
