"""Configuration checks: a text channel that cannot send, a reply-to address that is not one, or send tasks too
short for their messages, are caught at deploy, not at the first reminder."""

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .channels import SMS_BACKENDS
from .delivery import provider_timeout, send_task_budget
from .models import Channel


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


@register()
def send_task_time_check(app_configs, **kwargs):
    """A send task whose messages, each waiting its provider's full timeout, cannot all be tried within its time
    hands the last ones back untried whenever a provider is slow: they wait for a later dispatch."""
    limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
    if not limit:
        return []
    longest = max(provider_timeout(channel) for channel in Channel)
    needed = settings.CLINIC_SEND_TASK_SIZE * longest
    if needed <= send_task_budget(limit):
        return []
    return [
        Warning(
            f"CLINIC_SEND_TASK_SIZE ({settings.CLINIC_SEND_TASK_SIZE}) messages waiting up to {longest:g} s each "
            f"(the longer of EMAIL_TIMEOUT and TWILIO_TIMEOUT) need {needed:g} s, more than a send task has under "
            f"CELERY_TASK_SOFT_TIME_LIMIT ({limit:g} s, a tenth kept back).",
            hint="Send fewer messages per task, shorten the timeouts, or raise the soft time limit.",
            id="notifications.W003",
        )
    ]
