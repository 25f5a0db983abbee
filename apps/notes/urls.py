from django.urls import path

from . import chart_views, views

app_name = "notes"
urlpatterns = [
    path("unsigned/", views.unsigned_queue, name="unsigned"),
    path("sessions/<int:appointment_id>/", views.session_note, name="session"),
    path("sessions/<int:appointment_id>/process-note/", views.process_note, name="process_note"),
    path("sessions/<int:appointment_id>/process-note/delete/", views.process_note_delete, name="process_note_delete"),
    path("<int:pk>/", views.note_detail, name="detail"),
    path("<int:pk>/autosave/", views.note_autosave, name="autosave"),
    path("<int:pk>/cosign/", views.note_cosign, name="cosign"),
    path("<int:pk>/addenda/", views.addendum_create, name="addenda"),
    path("patients/<int:patient_id>/chart/", chart_views.patient_chart, name="chart"),
    path("patients/<int:patient_id>/chart/data/", chart_views.patient_chart_data, name="chart_data"),
    path("patients/<int:patient_id>/records.pdf", chart_views.records_export, name="records_export"),
]
