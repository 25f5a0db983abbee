"""The chart's routes, served inside the notes namespace and under /notes/ by clinic/urls.py, where the chart has
always been (notes:chart, notes:chart_data)."""

from django.urls import path

from . import chart_views

urlpatterns = [
    path("patients/<int:patient_id>/chart/", chart_views.patient_chart, name="chart"),
    path("patients/<int:patient_id>/chart/data/", chart_views.patient_chart_data, name="chart_data"),
]
