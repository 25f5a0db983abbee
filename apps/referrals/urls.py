from django.urls import path

from . import views

app_name = "referrals"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("inbound/new/", views.inbound_new, name="inbound_new"),
    path("inbound/<int:pk>/", views.inbound_detail, name="inbound_detail"),
    path("inbound/<int:pk>/review/", views.inbound_review, name="inbound_review"),
    path("inbound/<int:pk>/accept/", views.inbound_accept, name="inbound_accept"),
    path("inbound/<int:pk>/decline/", views.inbound_decline, name="inbound_decline"),
    path("inbound/<int:pk>/clearance/", views.inbound_clearance, name="inbound_clearance"),
    path("clearances/<int:pk>/", views.clearance_download, name="clearance_download"),
    path("patients/<int:patient_id>/clearance/", views.patient_clearance, name="patient_clearance"),
    path("patients/<int:patient_id>/outbound/new/", views.outbound_new, name="outbound_new"),
    path("outbound/<int:pk>/", views.outbound_detail, name="outbound_detail"),
    path("outbound/<int:pk>/send/", views.outbound_send, name="outbound_send"),
    path("outbound/<int:pk>/acknowledge/", views.outbound_acknowledge, name="outbound_acknowledge"),
    path("outbound/<int:pk>/close/", views.outbound_close, name="outbound_close"),
    path("outbound/<int:pk>/letter.pdf", views.outbound_letter, name="outbound_letter"),
]
