"""Production settings refuse to start without the secrets that development fills in for itself."""

import os
import subprocess
import sys

import pytest

REQUIRED = {
    "DJANGO_SECRET_KEY": "production-test-secret-0123456789abcdefghijklmnopqrstuvwxyz",
    "CLINIC_ENCRYPTION_KEYS": "ZGV2LW9ubHktbm90ZS1rZXktZG8tbm90LXVzZS0wMDA=",
    "STRIPE_WEBHOOK_SECRET": "whsec_production_test",
}

# The clinic says it takes no card payments online (the default backend is the offline one) and sends no texts.
NO_CARDS_ONLINE = {"CLINIC_NO_ONLINE_CARD_PAYMENTS": "1", "CLINIC_SMS_BACKEND": "console"}


def _load_production_settings(**overrides):
    environ = {k: v for k, v in os.environ.items() if k not in REQUIRED and not k.startswith(("STRIPE_", "CLINIC_"))}
    environ |= {"DJANGO_SETTINGS_MODULE": "clinic.settings.production", **REQUIRED, **NO_CARDS_ONLINE, **overrides}
    environ = {k: v for k, v in environ.items() if v is not None}
    code = "from django.conf import settings; print(settings.STRIPE_WEBHOOK_SECRET)"
    return subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60)


def test_production_starts_with_its_secrets():
    loaded = _load_production_settings()
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "whsec_production_test"


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_production_refuses_to_start_without_a_secret(missing):
    loaded = _load_production_settings(**{missing: None})
    assert loaded.returncode != 0
    assert f"Environment variable {missing} is required" in loaded.stderr


def test_real_card_payments_need_the_stripe_key():
    loaded = _load_production_settings(CLINIC_PAYMENT_BACKEND="stripe")
    assert "Environment variable STRIPE_SECRET_KEY is required" in loaded.stderr
    assert _load_production_settings(CLINIC_PAYMENT_BACKEND="stripe", STRIPE_SECRET_KEY="sk_test_1").returncode == 0


def test_production_refuses_the_offline_card_backend_unless_the_clinic_says_it_takes_no_cards_online():
    loaded = _load_production_settings(CLINIC_NO_ONLINE_CARD_PAYMENTS=None)
    assert loaded.returncode != 0
    assert "ImproperlyConfigured" in loaded.stderr and "CLINIC_NO_ONLINE_CARD_PAYMENTS=1" in loaded.stderr
    assert _load_production_settings(CLINIC_NO_ONLINE_CARD_PAYMENTS="0").returncode != 0
    assert (
        _load_production_settings(CLINIC_PAYMENT_BACKEND="offline", CLINIC_NO_ONLINE_CARD_PAYMENTS="1").returncode == 0
    )


def test_production_never_runs_the_card_sandbox():
    """The sandbox's checkout page records a card payment for whoever holds the checkout: development only."""
    for no_cards_online in (None, "1"):
        loaded = _load_production_settings(
            CLINIC_PAYMENT_BACKEND="sandbox", CLINIC_NO_ONLINE_CARD_PAYMENTS=no_cards_online
        )
        assert loaded.returncode != 0 and "ImproperlyConfigured" in loaded.stderr


def test_production_refuses_to_guess_where_texts_go():
    """Left to a default, texts would go to the log and a clinic would believe reminders reach phones."""
    for backend in (None, "", "sms"):
        loaded = _load_production_settings(CLINIC_SMS_BACKEND=backend)
        assert loaded.returncode != 0 and "CLINIC_SMS_BACKEND" in loaded.stderr, backend
    assert _load_production_settings(CLINIC_SMS_BACKEND="twilio").returncode == 0


@pytest.mark.parametrize("entry_point", ["clinic.wsgi", "clinic.asgi", "clinic.celery"])
def test_what_a_server_runs_starts_as_production_when_no_settings_are_named(entry_point):
    """Not with DEBUG on and the development key: without its secrets it refuses to start."""
    environ = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE" and k not in REQUIRED}
    code = f"import {entry_point}; from django.conf import settings; print(settings.DEBUG)"
    started = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60)
    assert started.returncode != 0
    assert "Environment variable DJANGO_SECRET_KEY is required" in started.stderr
