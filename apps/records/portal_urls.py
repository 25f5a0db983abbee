"""Patient pages for their own record, mounted under /portal/records/ (namespace portal:records)."""

from django.urls import path

from . import portal_views

app_name = "records"
urlpatterns = [
    path("", portal_views.records_home, name="home"),
    path("download/<str:fmt>/", portal_views.records_download, name="download"),
    path("files/<int:export_id>/", portal_views.records_export_download, name="export_download"),
]
