from django.urls import path

from . import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/texts/", views.patient_sms_consent, name="sms_consent"),
    path("<int:pk>/invite/", views.patient_action, {"action": "invite"}, name="invite"),
    path("<int:pk>/discharge/", views.patient_discharge, name="discharge"),
    path("<int:pk>/reactivate/", views.patient_action, {"action": "reactivate"}, name="reactivate"),
]
