"""Threads are listed for support by id, state and dates only: no subject, no text (both may carry health details)."""

from django.contrib import admin

from .models import MessageThread


@admin.register(MessageThread)
class MessageThreadAdmin(admin.ModelAdmin):
    list_display = ["id", "patient_id", "therapist", "status", "last_message_at"]
    list_filter = ["status"]
    fields = [
        "patient",
        "therapist",
        "status",
        "created_at",
        "last_message_at",
        "closed_at",
        "closed_by",
        "handed_over_at",
        "handed_over_by",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
