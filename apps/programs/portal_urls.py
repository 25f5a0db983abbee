"""Patient pages for programs, mounted under /portal/programs/ (namespace portal:programs)."""

from django.urls import path

from apps.waitlist.urls import portal_urlpatterns as slot_waitlist_urlpatterns

from . import portal_views

app_name = "programs"
urlpatterns = [
    path("", portal_views.program_list, name="list"),
    path("<int:pk>/", portal_views.program_detail, name="detail"),
    path("<int:pk>/enroll/", portal_views.program_enroll, name="enroll"),
    path("enrollments/<int:pk>/<str:action>/", portal_views.enrollment_action, name="enrollment_action"),
    *slot_waitlist_urlpatterns,
]
