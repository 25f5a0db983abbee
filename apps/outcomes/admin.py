"""Admin for outcomes: questionnaires and responses show who, which, when and their status only, never an answer,
a score or a flag (those are read on the chart, access-logged); journal entries show dates and sharing only. All of
it is read-only: answers, flags and their review change only through the services."""

from django.contrib import admin

from apps.core.admin import ContentHiddenAdmin, ReadOnlyAdmin

from .models import JournalEntry, QuestionnaireAssignment, QuestionnaireResponse


@admin.register(QuestionnaireAssignment)
class QuestionnaireAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "patient", "instrument", "due_at", "status"]
    list_filter = ["instrument", "status"]
    fields = ["patient", "instrument", "appointment", "due_at", "expires_at", "status", "completed_at"]
    readonly_fields = fields


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(ReadOnlyAdmin):
    """That a response exists and when: its answers, score, band and flag are clinical content, shown only on the
    chart to the patient's psychotherapists. Deleting one would silently take an open self-harm flag with it."""

    list_display = ["id", "patient", "instrument", "submitted_at"]
    list_filter = ["instrument"]
    fields = ["patient", "instrument", "assignment", "submitted_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).only("id", "patient", "instrument", "assignment", "submitted_at")


@admin.register(JournalEntry)
class JournalEntryAdmin(ContentHiddenAdmin):
    """The patient's writing is theirs: the admin sees that an entry exists, not what it says, and cannot remove it."""

    list_display = ["id", "patient", "created_at", "shared_at"]
    fields = ["patient", "created_at", "shared_at"]
    readonly_fields = fields
