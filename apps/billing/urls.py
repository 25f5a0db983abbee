from django.urls import path

from . import package_views, views

app_name = "billing"
urlpatterns = [
    path("", views.billing_home, name="home"),
    path("what-will-i-pay/", views.quote, name="quote"),
    path("patients/<int:pk>/", views.patient_ledger, name="patient_ledger"),
    path("patients/<int:pk>/payments/", views.payment_create, name="payment_create"),
    path("patients/<int:pk>/adjustments/", views.adjustment_create, name="adjustment_create"),
    path("patients/<int:pk>/plan/", views.plan_create, name="plan_create"),
    path("patients/<int:pk>/diagnoses/", views.diagnoses_set, name="diagnoses_set"),
    path("patients/<int:pk>/diagnoses/confirm/", views.diagnoses_confirm, name="diagnoses_confirm"),
    path("patients/<int:pk>/statements/", views.statement_issue, name="statement_issue"),
    path("patients/<int:pk>/estimates/", views.estimate_request, name="estimate_request"),
    path("patients/<int:pk>/superbill/", views.superbill, name="superbill"),
    path("patients/<int:pk>/packages/sell/", package_views.package_sell, name="package_sell"),
    path("packages/<int:pk>/refund/", package_views.package_refund_view, name="package_refund"),
    path("adjustments/<int:pk>/reverse/", views.adjustment_reverse, name="adjustment_reverse"),
    path("payments/<int:pk>/refund/", views.payment_refund, name="payment_refund"),
    path("plans/<int:pk>/cancel/", views.plan_cancel, name="plan_cancel"),
    path("receipts/<int:pk>/", views.receipt, name="receipt"),
    path("statements/<int:pk>/pdf/", views.statement_pdf, name="statement_pdf"),
    path("estimates/<int:pk>/pdf/", views.estimate_pdf, name="estimate_pdf"),
    path("assessments/", views.assessment_queue, name="assessments"),
    path("assessments/<int:pk>/", views.assessment_review, name="assessment_review"),
    path("assessments/<int:pk>/proof/", views.assessment_proof, name="assessment_proof"),
    path("reports/aging/", views.aging_report, name="aging_report"),
    path("reports/sliding-scale/", views.sliding_scale_report, name="sliding_scale_report"),
    path("reports/sliding-scale.csv", views.sliding_scale_report_csv, name="sliding_scale_report_csv"),
    path("configuration/", views.configuration, name="configuration"),
    path("configuration/history/", views.configuration_history, name="configuration_history"),
    path("configuration/fees/<int:service_type_pk>/", views.fee_schedule_add, name="fee_schedule_add"),
    path("configuration/guidelines/", views.guideline_add, name="guideline_add"),
    path("configuration/sliding-scale/", views.scale_edit, name="scale_edit"),
]
