"""Patient pages for sessions, mounted under /portal/sessions/ (namespace portal:sessions)."""

from django.urls import path

from . import portal_views

app_name = "sessions"
urlpatterns = [
    path("", portal_views.session_list, name="list"),
    path("<int:pk>/cancel/", portal_views.session_cancel, name="cancel"),
]
