"""No secret this repository publishes runs production: docker compose generates its own on the first start, the
deploy check refuses every published value, and the payment webhook refuses a published secret outside the tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from apps.billing.models import Payment, ProviderEvent
from apps.core.checks import published_secrets_check
from clinic.published_secrets import PUBLISHED

BASE_DIR = Path(settings.BASE_DIR)
ENTRYPOINT = BASE_DIR / "scripts" / "compose-secrets.sh"
SECRET_NAMES = {"DJANGO_SECRET_KEY", "CLINIC_ENCRYPTION_KEYS", "STRIPE_WEBHOOK_SECRET"}
SETTING_OF = {"DJANGO_SECRET_KEY": "SECRET_KEY"}  # environment name -> setting, where they differ


def _clean_environ(**overrides) -> dict:
    environ = {
        k: v for k, v in os.environ.items() if k not in SECRET_NAMES and not k.startswith(("STRIPE_", "CLINIC_"))
    }
    environ |= {
        "DJANGO_SETTINGS_MODULE": "clinic.settings.production",
        "CLINIC_NO_ONLINE_CARD_PAYMENTS": "1",
        "CLINIC_SMS_BACKEND": "console",
    }
    return {k: v for k, v in (environ | overrides).items() if v is not None}


def _compose_start(secrets_dir: Path, *command: str, **environ):
    """Run a command the way the compose services do: through the secrets entrypoint."""
    env = _clean_environ(CLINIC_SECRETS_DIR=str(secrets_dir), **environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # `python` is the project's
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *command], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )


def _printed_env(result) -> dict:
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def test_docker_compose_carries_no_secret():
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    for name in ("web", "worker", "beat"):
        service = compose["services"][name]
        assert service["entrypoint"] == ["/app/scripts/compose-secrets.sh"]
        assert "secrets:/var/lib/clinic/secrets" in service["volumes"]
        for variable in SECRET_NAMES:
            assert service["environment"][variable] == f"${{{variable}:-}}", variable
    text = (BASE_DIR / "docker-compose.yml").read_text()
    assert not [value for values in PUBLISHED.values() for value in values if value in text]
    assert "secrets" in compose["volumes"]


def test_the_first_start_generates_secrets_that_every_service_then_shares(tmp_path):
    first = _printed_env(_compose_start(tmp_path, "env"))
    again = _printed_env(_compose_start(tmp_path, "env"))
    for name in SECRET_NAMES:
        assert first[name] and first[name] == again[name], name
        assert first[name] not in PUBLISHED[SETTING_OF.get(name, name)]
    assert first["STRIPE_WEBHOOK_SECRET"].startswith("whsec_")
    assert oct((tmp_path / "clinic.env").stat().st_mode & 0o777) == "0o600"
    another_install = tmp_path / "another"
    another_install.mkdir()
    assert _printed_env(_compose_start(another_install, "env"))["DJANGO_SECRET_KEY"] != first["DJANGO_SECRET_KEY"]


def test_secrets_set_in_the_environment_win_over_the_generated_ones(tmp_path):
    printed = _printed_env(_compose_start(tmp_path, "env", DJANGO_SECRET_KEY="operator-chosen-key-" + "x" * 40))
    assert printed["DJANGO_SECRET_KEY"] == "operator-chosen-key-" + "x" * 40
    assert printed["CLINIC_ENCRYPTION_KEYS"]


def test_generated_secrets_pass_the_deploy_check(tmp_path):
    result = _compose_start(
        tmp_path, sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR", "--tag", "security"
    )
    assert result.returncode == 0, result.stderr
    assert "clinic.E001" not in result.stderr + result.stdout


def _deploy_check(**environ):
    generated = {
        "DJANGO_SECRET_KEY": "k" * 60,
        "CLINIC_ENCRYPTION_KEYS": "a2V5LW9mLXRoaXJ0eS10d28tYnl0ZXMtZm9yLXRlc3Q9",
        "STRIPE_WEBHOOK_SECRET": "whsec_" + "f" * 32,
    }
    env = _clean_environ(**(generated | environ))
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR", "--tag", "security"]
    return subprocess.run(command, env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=120)


def test_the_deploy_check_passes_with_secrets_of_ones_own():
    result = _deploy_check()
    assert result.returncode == 0, result.stderr


def test_the_deploy_check_fails_on_a_published_secret():
    result = _deploy_check(DJANGO_SECRET_KEY=sorted(PUBLISHED["SECRET_KEY"])[0])
    assert result.returncode != 0
    assert "clinic.E001" in result.stderr and "SECRET_KEY uses a value published in this repository" in result.stderr


@pytest.mark.parametrize(
    ("setting", "value"),
    [(name, value) for name, values in sorted(PUBLISHED.items()) for value in sorted(values)],
)
def test_every_published_value_fails_the_deploy_check(settings, setting, value):
    own = {
        "SECRET_KEY": "k" * 60,
        "CLINIC_ENCRYPTION_KEYS": ["a2V5LW9mLXRoaXJ0eS10d28tYnl0ZXMtZm9yLXRlc3Q9"],
        "STRIPE_WEBHOOK_SECRET": "whsec_" + "f" * 32,
        "STRIPE_SECRET_KEY": "",
    }
    for name, own_value in own.items():
        setattr(settings, name, own_value)
    assert published_secrets_check(None) == []
    # A published encryption key is found among rotated ones too.
    setattr(
        settings, setting, [*own["CLINIC_ENCRYPTION_KEYS"], value] if setting == "CLINIC_ENCRYPTION_KEYS" else value
    )
    errors = published_secrets_check(None)
    assert [(error.id, error.msg.split()[0]) for error in errors] == [("clinic.E001", setting)]


@pytest.mark.django_db
@pytest.mark.parametrize("secret", sorted(PUBLISHED["STRIPE_WEBHOOK_SECRET"]))
def test_outside_the_test_settings_the_webhook_refuses_a_published_secret(client, settings, secret):
    settings.CLINIC_ACCEPT_PUBLISHED_WEBHOOK_SECRET = False
    settings.STRIPE_WEBHOOK_SECRET = secret
    from tests.billing.stripe_standin import webhook_post

    event = {"id": "evt_forged", "type": "checkout.session.completed", "data": {"object": {}}}
    response = webhook_post(client, event, secret=secret)
    assert response.status_code == 400
    assert "not configured" in response.json()["error"]["message"]
    assert not ProviderEvent.objects.exists() and not Payment.objects.exists()


@pytest.mark.django_db
def test_the_webhook_accepts_a_secret_of_the_clinics_own(client, settings):
    settings.CLINIC_ACCEPT_PUBLISHED_WEBHOOK_SECRET = False
    settings.STRIPE_WEBHOOK_SECRET = "whsec_" + "c" * 32
    from tests.billing.stripe_standin import webhook_post

    response = webhook_post(client, {"id": "evt_unknown_type", "type": "customer.created", "data": {"object": {}}})
    assert response.status_code == 200, response.content
    assert ProviderEvent.objects.filter(event_id="evt_unknown_type").exists()


def test_only_the_test_settings_accept_a_published_webhook_secret():
    code = "from django.conf import settings; print(settings.CLINIC_ACCEPT_PUBLISHED_WEBHOOK_SECRET)"
    for module, expected in (("clinic.settings.local", "False"), ("clinic.settings.test", "True")):
        env = _clean_environ(DJANGO_SETTINGS_MODULE=module)
        loaded = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        assert loaded.stdout.strip() == expected, loaded.stderr
