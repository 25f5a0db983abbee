"""Read-only admin: the slot waitlist changes only through the services, which send the notices."""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import FreedSlot, SlotOffer, SlotRequest


@admin.register(SlotRequest)
class SlotRequestAdmin(ReadOnlyAdmin):
    list_display = ["patient", "therapist", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["patient", "therapist"]


@admin.register(FreedSlot)
class FreedSlotAdmin(ReadOnlyAdmin):
    list_display = ["therapist", "weekday", "local_start_time", "free_from", "status"]


@admin.register(SlotOffer)
class SlotOfferAdmin(ReadOnlyAdmin):
    list_display = ["slot", "request", "status", "expires_at"]
