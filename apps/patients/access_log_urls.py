from django.urls import path

from . import access_log_views as views

# The privacy review of who opened which chart; its names stay in the "audit" namespace.
app_name = "audit"
urlpatterns = [path("access-log/", views.access_log, name="access_log")]
