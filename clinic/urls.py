from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from apps.frontdesk.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("apps.accounts.urls")),
    path("patients/", include("apps.patients.urls")),
    path("schedule/", include("apps.scheduling.urls")),
    path("messages/", include("apps.notifications.urls")),
    path("billing/", include("apps.billing.urls")),
    path("notes/", include("apps.notes.urls")),
    path("outcomes/", include("apps.outcomes.urls")),
    path("programs/", include("apps.programs.urls")),
    path("inbox/", include("apps.messaging.urls")),
    path("records/", include("apps.records.urls")),
    path("intake/", include("apps.intake.urls")),
    path("portal/", include("apps.portal.urls")),
    path("audit/", include("apps.patients.access_log_urls")),
    path("api/", include("clinic.api")),
    path("admin/", admin.site.urls),
]

handler403 = "apps.accounts.views.permission_denied"
handler404 = "apps.core.api_errors.page_not_found"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
