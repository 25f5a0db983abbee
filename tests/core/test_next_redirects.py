"""Every view that follows a `next` stays on this site, whatever `next` says: each is walked with off-site values,
and no view reads `next` except through the one helper (apps.core.links)."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.roles import Role
from apps.core import clock
from apps.notifications.outbox import message_enqueue
from tests.factories import PASSWORD, AppointmentFactory, UserFactory

pytestmark = pytest.mark.django_db

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example/",
    "http://testserver@evil.example/",
]


def _stays_on_site(response) -> bool:
    location = response["Location"]
    parts = urlsplit(location)
    return (
        response.status_code == 302
        and location.startswith("/")
        and not location.startswith(("//", "/\\"))
        and not parts.scheme
        and not parts.netloc
        and "evil" not in location
    )


def _login_page(personas, login, target):
    return Client().post(
        f"/accounts/login/?next={target}", {"username": personas.patient_user.email, "password": PASSWORD}
    )


def _login_form_field(personas, login, target):
    form = {"username": personas.patient_user.email, "password": PASSWORD, "next": target}
    return Client().post("/accounts/login/", form)


def _logout(personas, login, target):
    return login(personas.patient_user).post("/accounts/logout/", {"next": target})


def _mfa_verify(personas, login, target):
    user = UserFactory(roles=[Role.FRONT_DESK])
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.post("/accounts/mfa/verify/", {"token": f"{totp(device.bin_key):06d}", "next": target})


def _mfa_verify_when_verified(personas, login, target):
    return login(personas.front_desk).get("/accounts/mfa/verify/", {"next": target})


def _mfa_setup(personas, login, target):
    user = UserFactory(roles=[Role.FRONT_DESK])
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.get("/accounts/mfa/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    return client.post(f"/accounts/mfa/setup/?next={target}", {"token": f"{totp(device.bin_key):06d}"})


def _mfa_setup_when_verified(personas, login, target):
    return login(personas.front_desk).get("/accounts/mfa/setup/", {"next": target})


def _message_resend(personas, login, target):
    message = message_enqueue(
        channel="email",
        to_address=personas.patient.email,
        purpose="reminder_email",
        template="appointment_reminder",
        subject=personas.patient,
        send_at=clock.now(),
        dedupe_key=f"next-{target}",
        patient=personas.patient,
        context={"start": clock.now().isoformat(), "confirm_url": "https://c/token"},
    )
    return login(personas.front_desk).post(f"/messages/{message.pk}/resend/", {"next": target})


def _appointment_action(personas, login, target):
    appointment = AppointmentFactory(therapist=personas.therapist, patient=personas.patient)
    client = login(personas.front_desk)
    return client.post(f"/schedule/appointments/{appointment.pk}/check-in/", {"next": target})


def _appointment_cancel(personas, login, target):
    appointment = AppointmentFactory(therapist=personas.therapist, patient=personas.patient)
    client = login(personas.front_desk)
    url = f"/schedule/appointments/{appointment.pk}/cancel/"
    # The first post only asks (a confirmation); the confirmed one cancels and follows `next`.
    assert client.post(url, {"reason": "Illness", "next": target}).status_code == 200
    return client.post(url, {"reason": "Illness", "next": target, "confirmed": "yes"})


VIEWS_TAKING_NEXT = [
    _login_page,
    _login_form_field,
    _logout,
    _mfa_verify,
    _mfa_verify_when_verified,
    _mfa_setup,
    _mfa_setup_when_verified,
    _message_resend,
    _appointment_action,
    _appointment_cancel,
]


@pytest.mark.parametrize("view", VIEWS_TAKING_NEXT, ids=lambda view: view.__name__.strip("_"))
@pytest.mark.parametrize("target", OFF_SITE)
def test_an_off_site_next_is_never_followed(personas, login, view, target):
    response = view(personas, login, target)
    assert _stays_on_site(response), (response.status_code, response.get("Location"))


@pytest.mark.parametrize("view", VIEWS_TAKING_NEXT, ids=lambda view: view.__name__.strip("_"))
def test_a_next_on_this_site_is_followed(personas, login, view):
    response = view(personas, login, "/portal/?tab=1")
    assert response.status_code == 302 and response["Location"] == "/portal/?tab=1"


def test_no_view_reads_next_except_through_the_helper():
    """A new view that reads `next` itself must use apps.core.links.next_or/next_path (and be added above)."""
    reads_next = re.compile(r"""(GET|POST|query_params|data)(\.get\(|\[)\s*["']next["']""")
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in (Path(settings.BASE_DIR) / "apps").rglob("*.py")
        if reads_next.search(path.read_text()) and path.name != "links.py"
    ]
    assert offenders == []
