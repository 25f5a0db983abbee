"""Admin for outcomes: questionnaires and scores; journal entries show dates and sharing only."""

from django.contrib import admin

from apps.core.admin import ContentHiddenAdmin

from .models import JournalEntry, QuestionnaireAssignment, QuestionnaireResponse


@admin.register(QuestionnaireAssignment)
class QuestionnaireAssignmentAdmin(admin.ModelAdmin):
    list_display = ["id", "patient", "instrument", "due_at", "status"]
    list_filter = ["instrument", "status"]
    readonly_fields = ["patient", "instrument", "appointment", "completed_at"]


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(admin.ModelAdmin):
    list_display = ["id", "patient", "instrument", "score", "severity", "flagged", "submitted_at"]
    list_filter = ["instrument", "severity", "flagged"]
    readonly_fields = [f.name for f in QuestionnaireResponse._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ContentHiddenAdmin):
    """The patient's writing is theirs: the admin sees that an entry exists, not what it says, and cannot remove it."""

    list_display = ["id", "patient", "created_at", "shared_at"]
    fields = ["patient", "created_at", "shared_at"]
    readonly_fields = fields
