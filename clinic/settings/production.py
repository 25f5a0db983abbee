"""Production: everything secret comes from the environment (an empty value counts as missing); HTTPS only.
`manage.py check --deploy` also refuses any secret this repository published (clinic/published_secrets.py)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, env_bool


def secret(name: str) -> str:
    value = env(name, "").strip()
    if not value:
        raise RuntimeError(f"Environment variable {name} is required")
    return value


DEBUG = False
SECRET_KEY = secret("DJANGO_SECRET_KEY")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Only the local docker compose demo (plain HTTP on localhost) turns these off.
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(env("DJANGO_SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
# Note text is encrypted with these keys; production never falls back to the development key.
CLINIC_ENCRYPTION_KEYS = [key.strip() for key in secret("CLINIC_ENCRYPTION_KEYS").split(",") if key.strip()]
# Anyone holding the webhook secret can post a payment, so production never uses the development one.
STRIPE_WEBHOOK_SECRET = secret("STRIPE_WEBHOOK_SECRET")
if CLINIC_PAYMENT_BACKEND == "stripe":  # noqa: F405
    STRIPE_SECRET_KEY = secret("STRIPE_SECRET_KEY")
elif CLINIC_PAYMENT_BACKEND != "offline" or not env_bool("CLINIC_NO_ONLINE_CARD_PAYMENTS", False):  # noqa: F405
    # The sandbox lets whoever holds a checkout record a card payment: development only. Running without online
    # card payments by accident would leave patients unable to pay: it must be said.
    raise ImproperlyConfigured(
        f"CLINIC_PAYMENT_BACKEND is {CLINIC_PAYMENT_BACKEND!r}: set it to 'stripe', or to 'offline' with "  # noqa: F405
        "CLINIC_NO_ONLINE_CARD_PAYMENTS=1 if the clinic takes no card payments online."
    )
# Texts go to Twilio, or nowhere: the console adapter only writes that a text would have gone. Left to a default, a
# clinic would believe reminders reach phones; so the choice is said.
CLINIC_SMS_BACKEND = env("CLINIC_SMS_BACKEND", "")
if CLINIC_SMS_BACKEND not in {"twilio", "console"}:
    raise ImproperlyConfigured(
        f"CLINIC_SMS_BACKEND is {CLINIC_SMS_BACKEND!r}: set it to 'twilio' (with the TWILIO_ settings), or to "
        "'console' for a demo that sends no texts."
    )
