"""The reminder links' routes. They keep the address and name reminders have always carried
(/messages/appointment/…, notifications:appointment_confirm and _cancel): clinic/urls.py serves them inside the
notifications namespace, so links in messages already sent still work."""

from django.urls import path

from . import link_views

urlpatterns = [
    path("appointment/confirm/<str:token>/", link_views.appointment_confirm_link, name="appointment_confirm"),
    path("appointment/cancel/<str:token>/", link_views.appointment_cancel_link, name="appointment_cancel"),
]
