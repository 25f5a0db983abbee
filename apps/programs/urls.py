from django.urls import path

from apps.waitlist.urls import staff_urlpatterns as slot_waitlist_urlpatterns

from . import formation_views, views

app_name = "programs"
urlpatterns = [
    path("", views.program_list, name="list"),
    path("new/", views.program_create, name="create"),
    path("<int:pk>/", views.program_detail, name="detail"),
    path("<int:pk>/edit/", views.program_edit, name="edit"),
    path("<int:pk>/capacity/", views.program_capacity, name="capacity"),
    path("<int:pk>/enroll/", views.program_enroll, name="enroll"),
    path("enrollments/<int:pk>/lecture-payment/", views.lecture_payment, name="lecture_payment"),
    path("<int:pk>/forming/<str:action>/", formation_views.program_formation, name="formation"),
    path("work-queue/", formation_views.work_queue, name="work_queue"),
    path("work-queue/<int:pk>/resolve/", formation_views.work_queue_resolve, name="work_queue_resolve"),
    path("enrollments/<int:pk>/<str:action>/", views.enrollment_action, name="enrollment_action"),
    path("meetings/<int:pk>/attendance/", views.meeting_attendance, name="attendance"),
    *slot_waitlist_urlpatterns,
]
