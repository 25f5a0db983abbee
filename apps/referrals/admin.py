"""Referrals are listed for support by id, status and dates only: no reason text, no file (both are clinical)."""

from django.contrib import admin

from .models import InboundReferral, OutboundReferral


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InboundReferral)
class InboundReferralAdmin(_ReadOnly):
    list_display = ["id", "patient_id", "status", "received_on", "decided_at"]
    list_filter = ["status"]
    fields = ["patient", "status", "received_on", "decided_at", "decided_by", "created_by", "created_at"]


@admin.register(OutboundReferral)
class OutboundReferralAdmin(_ReadOnly):
    list_display = ["id", "patient_id", "therapist", "status", "sent_at"]
    list_filter = ["status"]
    fields = ["patient", "therapist", "recipient_kind", "status", "release", "sent_at", "closed_at", "created_at"]
