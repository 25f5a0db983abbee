"""Patient pages for intake forms, mounted under /portal/forms/ (namespace portal:intake)."""

from django.urls import path

from . import portal_views

app_name = "intake"
urlpatterns = [
    path("", portal_views.packet, name="packet"),
    path("<int:document_id>/", portal_views.document_sign, name="sign"),
    path("signed/<int:pk>/", portal_views.signature_detail, name="signed"),
]
