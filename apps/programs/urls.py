from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("", views.program_list, name="list"),
    path("new/", views.program_create, name="create"),
    path("<int:pk>/", views.program_detail, name="detail"),
    path("<int:pk>/edit/", views.program_edit, name="edit"),
    path("<int:pk>/capacity/", views.program_capacity, name="capacity"),
    path("<int:pk>/enroll/", views.program_enroll, name="enroll"),
    path("enrollments/<int:pk>/<str:action>/", views.enrollment_action, name="enrollment_action"),
    path("meetings/<int:pk>/attendance/", views.meeting_attendance, name="attendance"),
    path("slots/", views.slot_waitlist, name="slot_waitlist"),
    path("slots/<int:pk>/cancel/", views.slot_request_cancel, name="slot_request_cancel"),
]
