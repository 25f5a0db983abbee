from django.urls import path, re_path

from . import availability_views, feeds, location_views, views

app_name = "scheduling"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("events/", views.calendar_events, name="calendar_events"),
    path("my-day/", views.my_day, name="my_day"),
    path("appointments/new/", views.appointment_new, name="appointment_new"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path("appointments/<int:pk>/reschedule/", views.appointment_reschedule, name="appointment_reschedule"),
    re_path(
        r"^appointments/(?P<pk>\d+)/(?P<action>check-in|undo-check-in|complete|no-show)/$",
        views.appointment_action,
        name="appointment_action",
    ),
    path("series/new/", views.series_new, name="series_new"),
    path("series/preview/", views.series_preview, name="series_preview"),
    path("availability/", availability_views.availability_index, name="availability"),
    path(
        "availability/<int:therapist_id>/",
        availability_views.availability_therapist,
        name="availability_therapist",
    ),
    re_path(
        r"^availability/(?P<kind>hours|time-off)/(?P<pk>\d+)/edit/$",
        availability_views.availability_edit,
        name="availability_edit",
    ),
    re_path(
        r"^availability/(?P<kind>hours|time-off)/(?P<pk>\d+)/delete/$",
        availability_views.availability_delete,
        name="availability_delete",
    ),
    path("locations/", location_views.location_list, name="locations"),
    path("locations/new/", location_views.location_new, name="location_new"),
    path("locations/<int:pk>/", location_views.location_detail, name="location_detail"),
    path(
        "locations/<int:pk>/hours/<int:hours_id>/delete/",
        location_views.location_hours_delete,
        name="location_hours_delete",
    ),
    path("rooms/<int:pk>/", location_views.room_edit, name="room_edit"),
    path("calendar-feed/", feeds.calendar_feed_settings, name="calendar_feed_settings"),
    re_path(r"^calendar-feed/(?P<action>issue|revoke)/$", feeds.calendar_feed_change, name="calendar_feed_change"),
    path("feed/<str:token>.ics", feeds.calendar_feed, name="calendar_feed"),
]
