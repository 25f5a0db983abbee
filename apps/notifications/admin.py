from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import AppointmentConfirmation, Message


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """The outbox as sent: a message is re-sent from the message log's page, never re-addressed here."""

    list_display = ["id", "purpose", "channel", "status", "send_at", "sent_at", "attempts"]
    list_filter = ["status", "channel", "purpose"]
    search_fields = ["dedupe_key", "provider_id"]
    raw_id_fields = ["patient", "recipient_user"]
    readonly_fields = ["dedupe_key", "provider_id", "provider_status", "sent_at", "attempts"]
    # The context holds the patient's signed confirm / cancel links.
    exclude = ["context"]


@admin.register(AppointmentConfirmation)
class AppointmentConfirmationAdmin(ReadOnlyAdmin):
    """A patient's answer to a reminder, as they gave it."""

    list_display = ["appointment", "appointment_start", "source", "created_at"]
    raw_id_fields = ["appointment"]
