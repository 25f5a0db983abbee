"""The /api/ router. Each app's api module registers its own routes here."""

from importlib import import_module

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

API_APPS = [
    "apps.accounts",
    "apps.patients",
    "apps.scheduling",
    "apps.notifications",
    "apps.waitlist",
    "apps.billing",
    "apps.notes",
    "apps.outcomes",
    "apps.programs",
    "apps.messaging",
    "apps.selfbooking",
    "apps.intake",
    "apps.ladder",
    "apps.education",
    "apps.referrals",
    "apps.records",
]

# JSON is the only format: no ".json" suffix routes, which would also hand views a `format` argument they do not take.
router = DefaultRouter()
router.include_format_suffixes = False
extra_urlpatterns = []
for app in API_APPS:
    module = import_module(f"{app}.api")
    module.register(router)
    extra_urlpatterns += getattr(module, "urlpatterns", [])

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    *extra_urlpatterns,
    path("", include(router.urls)),
]
