"""The library in the Django admin. Assignments are listed by id, item and dates only: their notes and the
journal entries written from them never show here."""

from django import forms
from django.contrib import admin

from apps.core.errors import ApplicationError

from .models import Assignment, ItemKind, LibraryItem
from .uploads import library_file_kind


class LibraryItemAdminForm(forms.ModelForm):
    """The same checks as the staff page: a link or a checked file, never both."""

    link = forms.URLField(required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = LibraryItem
        fields = ["title", "kind", "care_level", "description", "link", "file", "is_active"]

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if "file" in self.changed_data and upload:
            try:
                self.instance.file_kind, self.instance.file_size = library_file_kind(upload), upload.size
            except ApplicationError as exc:
                self.add_error("file", exc.message)
        elif "file" in self.changed_data:  # cleared
            self.instance.file_kind, self.instance.file_size = "", None
        if cleaned.get("link") and upload:
            self.add_error("link", "Give a link or upload a file, not both.")
        if cleaned.get("kind") != ItemKind.JOURNALING_PROMPT and not cleaned.get("link") and not upload:
            self.add_error("link", "A reading or recording needs a link or a file.")
        return cleaned


@admin.register(LibraryItem)
class LibraryItemAdmin(admin.ModelAdmin):
    form = LibraryItemAdminForm
    list_display = ["title", "kind", "care_level", "is_active", "updated_at"]
    list_filter = ["kind", "care_level", "is_active"]
    search_fields = ["title"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False  # retire instead: assignments name the item


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["id", "item", "patient_id", "assigned_by", "created_at", "done_at", "withdrawn_at"]
    list_filter = ["item__kind"]
    fields = ["item", "patient", "assigned_by", "created_at", "done_at", "withdrawn_at", "withdrawn_by"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
