"""The care ladder in the portal, mounted under /portal/care/ (namespace portal:ladder)."""

from django.urls import path

from . import portal_views

app_name = "ladder"
urlpatterns = [path("", portal_views.where_you_are, name="where_you_are")]
