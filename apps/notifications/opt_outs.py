"""Withdrawing a number's consent to texts."""

from django.db import transaction

from .models import Channel, Message, MessageStatus

# Replies that withdraw consent to every text: STOP and the other words carriers and Twilio treat as an opt-out,
# except CANCEL. A patient answering a session reminder with CANCEL means the session, not every text we send,
# so `sms_inbound` answers CANCEL instead. Twilio blocks a number that texts CANCEL unless the messaging service's
# opt-out keywords leave it out (docs/notifications.md); when Twilio reports that it opted a number out
# (`carrier_opted_out`), the charts record it too, so that our records and the carrier's never disagree.
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "OPTOUT", "REVOKE"})


@transaction.atomic
def number_opt_out(*, from_number: str) -> None:
    """No more texts to this number: SMS consent is withdrawn on every chart with it and its pending texts cancelled."""
    from apps.patients.models import Patient
    from apps.patients.services import patient_sms_opt_out

    for patient in Patient.objects.filter(phone=from_number).order_by("pk"):
        patient_sms_opt_out(patient=patient)
    Message.objects.filter(channel=Channel.SMS, to_address=from_number, status=MessageStatus.PENDING).update(
        status=MessageStatus.CANCELLED, last_error="The patient opted out of texts (STOP).", claimed_until=None
    )
