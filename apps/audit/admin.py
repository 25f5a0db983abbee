from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "allowed", "subject_type", "subject_id", "ip_address"]
    list_filter = ["action", "allowed", "subject_type"]
    readonly_fields = [f.name for f in AccessLog._meta.fields]
