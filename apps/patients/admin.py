from django.contrib import admin

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
