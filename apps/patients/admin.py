from django.contrib import admin

from apps.audit.services import access_log_write

from .models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["chart_number", "legal_last_name", "legal_first_name", "primary_therapist", "status"]
    list_filter = ["status"]
    search_fields = ["legal_last_name", "legal_first_name", "email", "chart_number"]
    # Discharging waits until no session is booked for the patient (the chart's Discharge and the API keep that
    # rule), so the status is not changed around it here.
    # Contact details and reminder choices change through the chart (patient_update, the reminder settings): a new
    # number withdraws the consent to texts given for the old one, and the queued reminders follow the change.
    readonly_fields = [
        "chart_number",
        "user",
        "status",
        "discharged_on",
        "email",
        "phone",
        "time_zone",
        "reminder_email",
        "reminder_sms",
        "sms_consent_at",
        "sms_opted_out_at",
    ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The page shows the demographics the chart shows: opening it is in the access log, as opening a chart is."""
        patient = self.get_object(request, object_id)
        if patient is not None and request.method == "GET" and self.has_view_or_change_permission(request, patient):
            access_log_write(actor=request.user, action="patient_admin_view", subject=patient, patient_id=patient.pk)
        return super().change_view(request, object_id, form_url, extra_context)
