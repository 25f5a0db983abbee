"""Admin pieces shared by every app."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that change only through the services (ledgers, logs, signed notes): list and view, no edits."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under a read-only record, changed only with it through the services."""

    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TransitionAdmin(ReadOnlyAdmin):
    """A status history: who changed it, from what, to what, when and why. Written only by the services."""

    list_display = ("at", "from_status", "to_status", "actor")
    list_filter = ("to_status",)
    list_select_related = ("actor",)
    date_hierarchy = "at"


class ContentHiddenAdmin(ReadOnlyAdmin):
    """A record of someone's words, kept encrypted: the admin shows that it exists and when, and never even loads
    the ciphertext."""

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content_encrypted")
