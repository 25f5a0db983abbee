"""Patient billing pages, mounted under /portal/billing/ (namespace portal:billing)."""

from django.urls import path

from . import portal_views

app_name = "billing"
urlpatterns = [
    path("", portal_views.billing_home, name="home"),
    path("apply/", portal_views.assessment_apply, name="assessment_apply"),
    path("pay/", portal_views.pay, name="pay"),
    path("pay/instalment/", portal_views.pay_instalment, name="pay_instalment"),
    path("pay/<int:pk>/return/", portal_views.checkout_return, name="checkout_return"),
    path("pay/<int:pk>/sandbox/", portal_views.sandbox_checkout, name="sandbox_checkout"),
    path("receipts/<int:pk>/", portal_views.receipt, name="receipt"),
    path("statements/<int:pk>/", portal_views.statement, name="statement"),
    path("statements/<int:pk>/pdf/", portal_views.statement_pdf, name="statement_pdf"),
    path("superbill/", portal_views.superbill, name="superbill"),
    path("estimates/<int:pk>/", portal_views.estimate, name="estimate"),
    path("estimates/<int:pk>/pdf/", portal_views.estimate_pdf, name="estimate_pdf"),
]
