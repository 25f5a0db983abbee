"""Read-mostly admin: seats, offers and the waitlist change only through the services, which send the notices."""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, TransitionAdmin

from .models import Enrollment, EnrollmentTransition, GroupProgram, LecturePayment, PublicRegistrant, WaitlistMove


@admin.register(GroupProgram)
class GroupProgramAdmin(ReadOnlyAdmin):
    list_display = ["title", "lead_facilitator", "capacity", "first_meeting_on", "meeting_count"]
    search_fields = ["title"]


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ["program", "patient", "registrant", "status", "waitlist_position", "offer_expires_at", "created_at"]
    list_filter = ["status", "program"]
    list_select_related = ["program", "patient", "registrant"]


@admin.register(PublicRegistrant)
class PublicRegistrantAdmin(ReadOnlyAdmin):
    list_display = ["name", "email", "patient", "created_at"]
    search_fields = ["name", "email"]
    list_select_related = ["patient"]


@admin.register(LecturePayment)
class LecturePaymentAdmin(ReadOnlyAdmin):
    list_display = ["enrollment", "kind", "amount", "method", "received_by", "received_at"]
    list_select_related = ["enrollment__program", "enrollment__registrant", "received_by"]


@admin.register(WaitlistMove)
class WaitlistMoveAdmin(ReadOnlyAdmin):
    list_display = ["enrollment", "from_rank", "to_rank", "moved_by", "moved_at"]


@admin.register(EnrollmentTransition)
class EnrollmentTransitionAdmin(TransitionAdmin):
    list_display = ["enrollment", *TransitionAdmin.list_display]
    raw_id_fields = ["enrollment", "actor"]
