"""An email as it goes over SMTP: its bytes (Django's message flattened by the standard library, without the work
that changes none of them) and its envelope sender (parsed once a worker, not once a message)."""

import functools
import secrets
from email.generator import BytesGenerator
from email.policy import Compat32
from io import BytesIO

from django.core.mail import EmailMessage
from django.core.mail.message import sanitize_address


class _Wire(Compat32):
    """Django's messages are built under compat32, which folds every header through an `email.header.Header`, even
    one that needs neither folding nor encoding: most of the time spent writing a message's headers. This policy
    writes such a header as it is (what that Header gives back for it) and folds every other one as compat32 does."""

    def fold_binary(self, name, value):
        if (
            isinstance(value, str)
            and value.isascii()
            and value.isprintable()  # no line break, tab or other control character to fold at
            and not value.endswith(" ")  # a Header drops one trailing space
            and len(name) + 2 + len(value) <= self.max_line_length
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


# CRLF line ends, as SMTP's DATA wants them.
_WIRE = _Wire(linesep="\r\n")


def _boundaries_draw(message) -> None:
    """Give each multipart part its boundary before flattening. Left to draw one, the generator compiles a regular
    expression for it (a new boundary every message, so never from the cache) to make sure no part's text holds
    that line: a third of flattening. A boundary of the generator's shape (so its header folds the same), from 63 bits
    of a secure random source drawn after the text was written, cannot be in it."""
    for part in message.walk():
        if part.is_multipart() and part.get_boundary() is None:
            part.set_boundary(f"{'=' * 15}{secrets.randbelow(10**19):019d}==")


def email_bytes(email: EmailMessage) -> bytes:
    """The message as the mail server receives it, CRLF line ends: Django's `email.message()` flattened as its
    `as_bytes(linesep="\\r\\n")` does, the same bytes but for the parts' boundaries."""
    message = email.message()
    _boundaries_draw(message)
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=_WIRE).flatten(message)
    return out.getvalue()


@functools.lru_cache(maxsize=16)
def envelope_sender(address: str, encoding: str) -> str:
    """The sender's `address` ("Name <address>" or a bare address) as SMTP's MAIL FROM names it. It is the same for
    every message a worker sends (DEFAULT_FROM_EMAIL), so it is parsed once, not once a message. Recipients differ
    from message to message and are not kept."""
    return sanitize_address(address, encoding)
