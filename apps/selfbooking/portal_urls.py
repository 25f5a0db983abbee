"""Patient pages for booking online, mounted under /portal/book/ (namespace portal:booking)."""

from django.urls import path

from . import portal_views

app_name = "booking"
urlpatterns = [
    path("", portal_views.therapist_list, name="therapists"),
    path("<int:therapist_id>/", portal_views.first_session_week, name="week"),
    path("<int:therapist_id>/confirm/", portal_views.first_session_confirm, name="confirm"),
    path("move/<int:pk>/", portal_views.move_week, name="move"),
    path("move/<int:pk>/confirm/", portal_views.move_confirm, name="move_confirm"),
]
