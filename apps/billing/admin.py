"""Django admin for billing. Ledger rows are read-only (the database refuses changes anyway); income figures are
never shown (the billing pages show them, access-logged)."""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, ReadOnlyInline, TransitionAdmin

from .models import (
    Adjustment,
    AssessmentTransition,
    CardRefund,
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


class SlidingScaleClassInline(ReadOnlyInline):
    model = SlidingScaleClass


@admin.register(SlidingScaleSchedule)
class SlidingScaleScheduleAdmin(ReadOnlyAdmin):
    list_display = ["name", "effective_from", "nominal_fee", "late_cancel_fee"]
    inlines = [SlidingScaleClassInline]


@admin.register(SlidingScaleAssessment)
class SlidingScaleAssessmentAdmin(ReadOnlyAdmin):
    """An assessment's state and class, never the attested figures: income, household size, the percentage they
    make and the proof are read on the billing pages, where every reading is in the access log."""

    list_display = ["patient", "status", "class_code", "effective_from", "expires_on"]
    list_filter = ["status"]
    fields = [
        "patient",
        "status",
        "guideline_year",
        "class_code",
        "class_label",
        "submitted_by",
        "reviewed_by",
        "reviewed_at",
        "effective_from",
        "expires_on",
        "override_approved_by",
        "reattestation_requested_at",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("annual_income", "household_size", "percent_of_guideline", "proof")


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ["patient", "service_date", "kind", "amount", "class_code"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["receipt_number", "patient", "method", "amount", "received_at", "credit_on_account"]


@admin.register(CardRefund)
class CardRefundAdmin(ReadOnlyAdmin):
    """Card refunds asked of the provider; they move only through the refund services and the provider's answers.
    The list names the payment by its receipt, as the payments' list does, and never shows the reason written."""

    list_display = ["id", "payment", "amount", "status", "requested_at", "settled_at"]
    list_filter = ["status"]
    list_select_related = ["payment"]
    raw_id_fields = ["payment", "refund", "requested_by"]


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
