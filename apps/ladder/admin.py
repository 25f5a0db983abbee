"""Read-only admin: levels change only through `care_level_set`, and a move's reason (encrypted) is never shown."""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import CareLevelMove, PatientCareLevel


@admin.register(PatientCareLevel)
class PatientCareLevelAdmin(ReadOnlyAdmin):
    list_display = ["patient", "level", "since", "moved_by"]
    list_filter = ["level"]
    list_select_related = ["patient", "moved_by"]


@admin.register(CareLevelMove)
class CareLevelMoveAdmin(ReadOnlyAdmin):
    list_display = ["patient", "from_level", "to_level", "moved_by", "moved_at"]
    list_filter = ["to_level"]
    list_select_related = ["patient", "moved_by"]
    exclude = ["content_encrypted"]
