from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.message_log, name="log"),
    path("<int:pk>/resend/", views.message_resend, name="resend"),
    path("appointment/confirm/<str:token>/", views.appointment_confirm_link, name="appointment_confirm"),
    path("appointment/cancel/<str:token>/", views.appointment_cancel_link, name="appointment_cancel"),
    path("twilio/status/", views.twilio_status, name="twilio_status"),
    path("twilio/inbound/", views.twilio_inbound, name="twilio_inbound"),
]
