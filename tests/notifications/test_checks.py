"""Deploy-time checks of the text channel's configuration."""

from apps.notifications.checks import sms_backend_check


def test_the_console_channel_needs_nothing(settings):
    settings.CLINIC_SMS_BACKEND = "console"
    assert sms_backend_check(None) == []


def test_twilio_without_credentials_or_sender_is_flagged(settings):
    settings.CLINIC_SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_FROM_NUMBER = settings.TWILIO_MESSAGING_SERVICE_SID = ""
    assert [c.id for c in sms_backend_check(None)] == ["notifications.W001", "notifications.W002"]


def test_twilio_fully_configured_passes(settings):
    settings.CLINIC_SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC1", "token"
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG1"
    assert sms_backend_check(None) == []


def test_an_unknown_channel_is_an_error(settings):
    settings.CLINIC_SMS_BACKEND = "pigeon"
    assert [c.id for c in sms_backend_check(None)] == ["notifications.E001"]
