"""Patient pages for programs, mounted under /portal/programs/ (namespace portal:programs)."""

from django.urls import path

from . import portal_views

app_name = "programs"
urlpatterns = [
    path("", portal_views.program_list, name="list"),
    path("<int:pk>/", portal_views.program_detail, name="detail"),
    path("<int:pk>/enroll/", portal_views.program_enroll, name="enroll"),
    path("enrollments/<int:pk>/<str:action>/", portal_views.enrollment_action, name="enrollment_action"),
    path("offers/<str:token>/", portal_views.offer_link, name="offer_link"),
    path("slots/", portal_views.slot_requests, name="slot_requests"),
    path("slots/<int:pk>/cancel/", portal_views.slot_request_cancel, name="slot_request_cancel"),
    path("slot-offers/<int:pk>/<str:action>/", portal_views.slot_offer_action, name="slot_offer_action"),
]
