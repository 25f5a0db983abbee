"""TOTP enrolment and verification on top of django-otp."""

import io
import math
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.models import MAX_THROTTLE_DELAY_SECONDS
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

# What a code refused is answered with, on every page that asks for one (signing in, turning two-step on or off):
# one plain sentence each, never Django's "Ensure this value has at least 6 characters (it has 5).".
CODE_ASKED = "Enter the 6-digit code your authenticator app shows now."
CODE_DIGITS = "A code is 6 digits, such as 123456: enter the one your authenticator app shows now."
CODE_WRONG = "That code did not match. Check the time on your phone and enter the code your app shows now."
CODE_EXPIRED = "That code has expired: codes change every 30 seconds. Enter the code your app shows now."
CODE_REUSED = "That code was already used. Wait for your app to show a new code, then enter it."
CODE_WAIT = "Too many codes did not match. Wait {wait}, then enter the code your app shows now."

# A code from the last five minutes (ten 30-second steps) that no longer passes is an old code, told as expired;
# older ones are told as not matching, like any other.
EXPIRED_WITHIN_STEPS = 10


@dataclass(frozen=True)
class CodeCheck:
    """How a code fared: it passed (true), or the words saying why not (`refusal`)."""

    refusal: str = ""

    def __bool__(self) -> bool:
        return not self.refusal


PASSED = CodeCheck()


def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def verify_url(next_path: str = "") -> str:
    """The challenge's address, coming back to `next_path` (a checked path on this site) once passed."""
    url = reverse("accounts:mfa_verify")
    return f"{url}?{urlencode({'next': next_path}, safe='/')}" if next_path else url


def pending_device(user, *, fresh: bool) -> TOTPDevice:
    """The unconfirmed device a user is enrolling; one per user until confirmed.

    `fresh` (showing the enrolment page) gives it a new key: a key shown earlier, perhaps to someone else who had
    the password and opened the page first, is never the one confirmed. Confirming checks the key shown last.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    if fresh:
        device.key = default_key()
        device.save(update_fields=["key"])
    return device


def qr_svg(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


def _second_factor_passed(request, device: TOTPDevice) -> None:
    """Mark the session verified under a new key: a key seen before the code was entered (on a shared machine left at
    the challenge, say) never becomes a verified session, as Django's login() does for the password."""
    request.session.cycle_key()
    otp_login(request, device)


# django-otp reads a device's last used code and its failure count, checks the code, then saves both: codes sent at
# once would all pass its checks. Each check holds the device's row lock, so they take turns, and each sees the
# code used and the failures counted before it: a code works once, and guesses wait out the growing delay.


def _wait_text(device: TOTPDevice) -> str | None:
    """How long before `device` checks a code again, in words; None when it checks one now."""
    allowed, _ = device.verify_is_allowed()
    if allowed:
        return None
    delay = min(device.get_throttle_factor() * 2 ** (device.throttling_failure_count - 1), MAX_THROTTLE_DELAY_SECONDS)
    left = delay - (timezone.now() - device.throttling_failure_timestamp).total_seconds()
    seconds = max(1, math.ceil(left))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _refusal(device: TOTPDevice, token: str) -> str:
    """Why `token`, which did not pass, did not: a code of this device's from the last minutes, already used or
    past its time, or no code of it at all. Read at the same moment and with the same drift as the check."""
    clock = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    clock.time = time.time()
    now = clock.t()
    if not token.isascii() or not token.isdigit():
        return CODE_WRONG
    value = int(token)
    steps = [t for t in range(now - EXPIRED_WITHIN_STEPS, now + device.tolerance + 1) if t >= 0]
    matched = [t for t in steps if hotp(device.bin_key, t, device.digits) == value]
    if any(t <= device.last_t for t in matched):
        return CODE_REUSED
    if any(t < now - device.tolerance for t in matched):
        return CODE_EXPIRED
    return CODE_WRONG


def _checked(devices: list[TOTPDevice], request, token: str) -> CodeCheck:
    """Check `token` against each device (locked by the caller) until one passes it; otherwise say why it did not:
    a wait while every device holds off after failures, else the plainest reason a device gives."""
    refusals = []
    for device in devices:
        wait = _wait_text(device)
        if wait is not None:
            refusals.append(CODE_WAIT.format(wait=wait))
            continue
        if device.verify_token(token):
            _second_factor_passed(request, device)
            return PASSED
        refusals.append(_refusal(device, token))
    for reason in (CODE_REUSED, CODE_EXPIRED, CODE_WRONG):
        if reason in refusals:
            return CodeCheck(reason)
    return CodeCheck(refusals[0] if refusals else CODE_WRONG)


@transaction.atomic
def confirm_device(request, device: TOTPDevice, token: str) -> CodeCheck:
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    check = _checked([device], request, token)
    if check:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return check


@transaction.atomic
def verify(request, token: str) -> CodeCheck:
    devices = TOTPDevice.objects.devices_for_user(request.user, confirmed=True).select_for_update().order_by("pk")
    return _checked(list(devices), request, token)
