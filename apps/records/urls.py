from django.urls import path

from . import views

app_name = "records"
urlpatterns = [
    path("patients/<int:patient_id>/<str:fmt>/", views.patient_record_export, name="patient_export"),
]
