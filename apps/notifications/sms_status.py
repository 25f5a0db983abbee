"""The carrier's delivery reports for texts."""

from django.db import transaction

from .models import Channel, Message, MessageStatus

# Twilio's message statuses that mean the text did not reach the phone.
TWILIO_FAILED_STATUSES = frozenset({"failed", "undelivered"})
# Reports can arrive out of order; a later stage is never replaced by an earlier one.
TWILIO_STATUS_STAGE = {"accepted": 0, "scheduled": 0, "queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}


def _stage(status: str) -> int:
    return 3 if status in TWILIO_FAILED_STATUSES else TWILIO_STATUS_STAGE.get(status, 0)


@transaction.atomic
def sms_status_record(*, provider_id: str, provider_status: str, error_code: str = "") -> Message | None:
    """Apply a provider's delivery report to the message it names; None for an unknown id."""
    message = Message.objects.select_for_update().filter(channel=Channel.SMS, provider_id=provider_id).first()
    if message is None:
        return None
    if message.provider_status and _stage(provider_status) < _stage(message.provider_status):
        return message
    message.provider_status = provider_status[:30]
    if provider_status in TWILIO_FAILED_STATUSES and message.status == MessageStatus.SENT:
        message.status = MessageStatus.FAILED
        message.last_error = f"The carrier reported the text {provider_status} (error {error_code or 'unknown'})."
    message.save(update_fields=["provider_status", "status", "last_error", "updated_at"])
    return message
