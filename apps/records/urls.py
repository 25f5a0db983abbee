from django.urls import path

from . import views

app_name = "records"
urlpatterns = [
    path("patients/<int:patient_id>/pdf-status/", views.patient_record_export_status, name="patient_export_status"),
    path("patients/<int:patient_id>/<str:fmt>/", views.patient_record_export, name="patient_export"),
    path(
        "patients/<int:patient_id>/files/<int:export_id>/",
        views.patient_record_export_download,
        name="patient_export_download",
    ),
]
