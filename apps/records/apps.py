from django.apps import AppConfig


class RecordsConfig(AppConfig):
    """The patient's own record as a download (PDF and JSON): for the patient in the portal, and for staff answering
    a records request."""

    name = "apps.records"
    label = "records"
