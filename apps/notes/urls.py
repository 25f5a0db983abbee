from django.urls import path

from . import plan_views, records_views, views

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
    path("cosigns/<int:pk>/hand-over/", views.cosigns_hand_over, name="cosigns_hand_over"),
    path("patients/<int:patient_id>/records.pdf", records_views.records_export, name="records_export"),
    path("patients/<int:patient_id>/plans/new/", plan_views.plan_new, name="plan_new"),
    path("plans/<int:pk>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/sign/", plan_views.plan_sign, name="plan_sign"),
]
