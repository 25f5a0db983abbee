from django.contrib import admin

from apps.audit.services import access_log_write
from apps.core.admin import ReadOnlyAdmin

from .models import Patient


@admin.register(Patient)
class PatientAdmin(ReadOnlyAdmin):
    """A chart changes only through the chart's pages and services (patient_update, discharge, the reminder
    settings), where a new number withdraws the consent given for the old one, queued reminders follow and each
    change is logged. The list names nobody: a row per patient by chart number; opening one is logged."""

    list_display = ["chart_number", "primary_therapist", "status"]
    list_filter = ["status"]
    search_fields = ["chart_number"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The page shows the demographics the chart shows: opening it is in the access log, as opening a chart is."""
        patient = self.get_object(request, object_id)
        if patient is not None and request.method == "GET" and self.has_view_or_change_permission(request, patient):
            access_log_write(actor=request.user, action="patient_admin_view", subject=patient, patient_id=patient.pk)
        return super().change_view(request, object_id, form_url, extra_context)
