from django.urls import path

from . import views

app_name = "ladder"
urlpatterns = [
    path("patients/<int:patient_id>/move/", views.care_level_move, name="move"),
    path("report/", views.ladder_report, name="report"),
    path("report.csv", views.ladder_report_csv, name="report_csv"),
]
