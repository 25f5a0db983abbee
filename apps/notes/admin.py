"""Admin for notes shows who, when and what state, never what was written.

Process notes are deliberately not registered: only their author may ever read them. Treatment plans show
their dates and signatures; their problems, goals and interventions (all text) are not registered.
"""

from django.contrib import admin

from apps.core.admin import ContentHiddenAdmin, ReadOnlyAdmin

from .models import Addendum, NoteTemplate, SessionNote, TreatmentPlan


@admin.register(NoteTemplate)
class NoteTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active", "updated_at"]
    list_filter = ["kind", "is_active"]
    fields = ["name", "kind", "description", "fields", "is_active"]


@admin.register(SessionNote)
class SessionNoteAdmin(ContentHiddenAdmin):
    list_display = ["id", "appointment", "author", "template", "status", "signed_at", "cosign_required", "cosigned_at"]
    list_filter = ["status", "cosign_required", "template"]
    fields = [
        "appointment",
        "patient",
        "author",
        "template",
        "status",
        "signed_at",
        "signed_by",
        "attestation",
        "attested_at",
        "cosign_required",
        "cosigner",
        "cosigned_at",
        "cosigned_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields


@admin.register(Addendum)
class AddendumAdmin(ContentHiddenAdmin):
    list_display = ["id", "note", "author", "created_at"]
    fields = ["note", "author", "created_at"]
    readonly_fields = fields


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(ReadOnlyAdmin):
    list_display = ["id", "patient", "author", "status", "start_date", "review_date", "signed_at"]
    list_filter = ["status"]
    fields = [
        "patient",
        "author",
        "status",
        "start_date",
        "review_date",
        "signed_at",
        "signed_by",
        "superseded_at",
        "superseded_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
