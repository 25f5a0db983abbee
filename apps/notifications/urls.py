from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.message_log, name="log"),
    path("<int:pk>/resend/", views.message_resend, name="resend"),
    path("twilio/status/", views.twilio_status, name="twilio_status"),
    path("twilio/inbound/", views.twilio_inbound, name="twilio_inbound"),
]
