"""An email's bytes on the wire are Django's own, flattened without the work that changes none of them."""

import re
from email import message_from_bytes
from email.policy import compat32

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address

from apps.core.mail_wire import _WIRE, email_bytes, envelope_sender

BOUNDARY = re.compile(rb'boundary="([^"]+)"')


def _as_django_flattens(email) -> bytes:
    return email.message().as_bytes(linesep="\r\n")


def _boundaries_named(data: bytes) -> bytes:
    """`data` with each boundary replaced by its place: two flattenings differ in nothing else."""
    for n, boundary in enumerate(BOUNDARY.findall(data)):
        data = data.replace(boundary, f"boundary-{n}".encode())
    return data


def _email(subject: str, body: str, *, to: str, reply_to: str | None = None, html: str = "") -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email="Harbor Clinic <no-reply@clinic.localhost>",
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        # Django makes up a Date and a Message-ID for each message(): fixed, two flattenings can be compared.
        headers={"Message-ID": "<message-1@clinic.localhost>", "Date": "Mon, 07 Dec 2026 09:00:00 -0000"},
    )
    if html:
        email.attach_alternative(html, "text/html")
    return email


@pytest.mark.parametrize(
    "email",
    [
        _email("Reminder: your session on Monday, December 8", "Hello Ann,\n", to="ann@example.test", html="<p>Hi</p>"),
        _email(
            "Erinnerung: Ihre Sitzung am Montag — Zoë Ñúñez O'Brien, eine lange Betreffzeile über die Grenze hinaus",
            "Hallo Zoë,\n" + "x" * 1200 + "\n.a line that starts with a dot\nFrom the start of a line\n",
            to="zoë@exämple.test",
            reply_to="Front Désk <front@clinic.test>",
            html="<p>Zoë</p>",
        ),
        _email(
            "A long plain subject that is folded because it does not fit on one line of seventy-eight characters",
            "Plain only\n",
            to="Ann Example <ann@example.test>",
            reply_to="front@clinic.test",
        ),
        _email("Ends in a space ", "Body\n", to="ann@example.test"),
    ],
    ids=["reminder", "non-ascii-and-long-lines", "long-ascii-subject", "trailing-space"],
)
def test_the_bytes_are_djangos_but_for_the_boundaries(email):
    assert _boundaries_named(email_bytes(email)) == _boundaries_named(_as_django_flattens(email))


def test_each_part_of_a_message_with_attachments_has_its_own_boundary():
    email = _email("Your statement", "Attached.\n", to="ann@example.test", html="<p>Attached.</p>")
    email.attach("statement.pdf", b"%PDF-1.4 \x00\x01", "application/pdf")
    data = email_bytes(email)
    assert _boundaries_named(data) == _boundaries_named(_as_django_flattens(email))
    boundaries = BOUNDARY.findall(data)
    assert len(set(boundaries)) == len(boundaries) == 2
    parsed = message_from_bytes(data)
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
    ]
    assert parsed.get_payload()[1].get_payload(decode=True) == b"%PDF-1.4 \x00\x01"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        "  leading spaces",
        "two  spaces inside",
        "a trailing space ",
        "a tab\there",
        "x" * 68,  # "Subject: " and 69 characters fill a line of 78: around that edge
        "x" * 69,
        "x" * 70,
        "words " * 14,
        "=?utf-8?b?WsO2?= encoded already",
        "first line\n second line",
        "Zoë",
    ],
)
def test_a_header_is_written_as_compat32_writes_it(value):
    assert _WIRE.fold_binary("Subject", value) == compat32.clone(linesep="\r\n").fold_binary("Subject", value)


@pytest.mark.parametrize("address", ["Harbor Clinic <no-reply@clinic.localhost>", "Clínica <office@clinic.test>"])
def test_the_envelope_sender_is_the_address_django_would_send_from(address):
    assert envelope_sender(address, "utf-8") == sanitize_address(address, "utf-8")
    assert envelope_sender(address, "utf-8") == sanitize_address(address, "utf-8")  # kept, the same
