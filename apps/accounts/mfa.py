"""TOTP enrolment and verification on top of django-otp."""

import io
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.urls import reverse
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key


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


@transaction.atomic
def confirm_device(request, device: TOTPDevice, token: str) -> bool:
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _second_factor_passed(request, device)
    return True


@transaction.atomic
def verify(request, token: str) -> bool:
    devices = TOTPDevice.objects.devices_for_user(request.user, confirmed=True).select_for_update().order_by("pk")
    for device in devices:
        if device.verify_token(token):
            _second_factor_passed(request, device)
            return True
    return False
