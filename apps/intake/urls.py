from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("", views.outstanding, name="outstanding"),
    path("patients/<int:patient_id>/send/", views.packet_send, name="packet_send"),
    path("signed/<int:pk>/", views.signature_detail, name="signature_detail"),
    path("documents/", views.documents, name="documents"),
    path("documents/<int:pk>/", views.document_detail, name="document_detail"),
    path("documents/<int:pk>/risk-answers/", views.document_risk_answers, name="document_risk_answers"),
    path("flags/<int:pk>/review/", views.answer_flag_review, name="answer_flag_review"),
]
