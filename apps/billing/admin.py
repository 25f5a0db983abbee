"""Django admin for billing. Ledger rows are read-only (the database refuses changes anyway); income figures are
kept out of list views."""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, TransitionAdmin

from .models import (
    Adjustment,
    AssessmentTransition,
    Charge,
    FeeSchedule,
    PackageOffering,
    PackagePurchase,
    Payment,
    PovertyGuideline,
    SlidingScaleAssessment,
    SlidingScaleClass,
    SlidingScaleSchedule,
)


# Fees, guidelines and the scale change on the billing configuration pages, which keep their history; an
# assessment moves only through its review (a transition row and an audit row). Here they are only read.
@admin.register(FeeSchedule)
class FeeScheduleAdmin(ReadOnlyAdmin):
    list_display = ["service_type", "full_fee", "effective_from"]


@admin.register(PovertyGuideline)
class PovertyGuidelineAdmin(ReadOnlyAdmin):
    list_display = ["year", "region", "first_person", "each_additional_person"]


class SlidingScaleClassInline(admin.TabularInline):
    model = SlidingScaleClass
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SlidingScaleSchedule)
class SlidingScaleScheduleAdmin(ReadOnlyAdmin):
    list_display = ["name", "effective_from", "nominal_fee", "late_cancel_fee"]
    inlines = [SlidingScaleClassInline]


@admin.register(SlidingScaleAssessment)
class SlidingScaleAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["patient", "status", "class_code", "effective_from", "expires_on"]
    list_filter = ["status"]
    raw_id_fields = ["patient", "submitted_by", "reviewed_by", "override_approved_by"]


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ["patient", "service_date", "kind", "amount", "class_code"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["receipt_number", "patient", "method", "amount", "received_at", "credit_on_account"]


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = ["patient", "kind", "amount", "posted_at"]


@admin.register(AssessmentTransition)
class AssessmentTransitionAdmin(TransitionAdmin):
    """No income here: the reason of a rejection is what the reviewer wrote, never the attested figures."""

    list_display = ["assessment", *TransitionAdmin.list_display]
    raw_id_fields = ["assessment", "actor"]


@admin.register(PackageOffering)
class PackageOfferingAdmin(admin.ModelAdmin):
    """The packages the clinic sells; a package is sold, used and refunded only through the billing pages."""

    list_display = ["name", "service_type", "session_count", "full_price", "slides_with_class", "is_active"]
    list_filter = ["is_active"]


@admin.register(PackagePurchase)
class PackagePurchaseAdmin(ReadOnlyAdmin):
    list_display = ["patient", "offering", "sessions_used", "sessions_total", "price", "status", "expires_on"]
    list_filter = ["status"]
