"""Configuration checks: a text channel that cannot send, or a reply-to address that is not one, is caught at deploy,
not at the first reminder."""

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .channels import SMS_BACKENDS


@register()
def sms_backend_check(app_configs, **kwargs):
    backend = settings.CLINIC_SMS_BACKEND
    if backend not in SMS_BACKENDS:
        return [
            Error(
                f"CLINIC_SMS_BACKEND is {backend!r}; choose one of {', '.join(sorted(SMS_BACKENDS))}.",
                id="notifications.E001",
            )
        ]
    if backend != "twilio":
        return []
    problems = []
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        problems.append(
            Warning(
                "Texts go through Twilio but TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN is empty.", id="notifications.W001"
            )
        )
    if not (settings.TWILIO_FROM_NUMBER or settings.TWILIO_MESSAGING_SERVICE_SID):
        problems.append(
            Warning(
                "Texts go through Twilio but neither TWILIO_FROM_NUMBER nor TWILIO_MESSAGING_SERVICE_SID is set.",
                id="notifications.W002",
            )
        )
    return problems


@register()
def reply_to_check(app_configs, **kwargs):
    """A mistyped reply-to address would send every patient's reply nowhere."""
    address = settings.CLINIC_REPLY_TO_EMAIL
    try:
        if address:
            validate_email(address)
    except ValidationError:
        return [Error(f"CLINIC_REPLY_TO_EMAIL is {address!r}, not an email address.", id="notifications.E002")]
    return []
