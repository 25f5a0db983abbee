from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from apps.frontdesk import chart_urls
from apps.frontdesk.views import home
from apps.notes import urls as note_urls
from apps.notifications import urls as notification_urls
from apps.scheduling import link_urls as reminder_link_urls

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("apps.accounts.urls")),
    path("patients/", include("apps.patients.urls")),
    path("schedule/", include("apps.scheduling.urls")),
    # A reminder's confirm and cancel pages are scheduling's, but keep the address and name their links carry.
    path("messages/", include((notification_urls.urlpatterns + reminder_link_urls.urlpatterns, "notifications"))),
    path("billing/", include("apps.billing.urls")),
    # The clinical chart composes notes and outcomes (frontdesk's), at the notes address and name it always had.
    path("notes/", include((note_urls.urlpatterns + chart_urls.urlpatterns, "notes"))),
    path("outcomes/", include("apps.outcomes.urls")),
    path("programs/", include("apps.programs.urls")),
    path("lectures/", include("apps.programs.public_urls")),
    path("inbox/", include("apps.messaging.urls")),
    path("records/", include("apps.records.urls")),
    path("intake/", include("apps.intake.urls")),
    path("ladder/", include("apps.ladder.urls")),
    path("education/", include("apps.education.urls")),
    path("referrals/", include("apps.referrals.urls")),
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
