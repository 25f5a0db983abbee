"""Admin for reference data and a read-mostly view of the schedule. No clinical content lives here."""

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename

from apps.accounts.models import User
from apps.core.admin import ReadOnlyAdmin, ReadOnlyInline, TransitionAdmin

from . import services
from .models import (
    Appointment,
    AppointmentSeries,
    AppointmentTransition,
    CalendarFeed,
    Location,
    LocationHours,
    Room,
    ServiceType,
    TimeOff,
    WorkingHours,
)


@admin.register(ServiceType)
class ServiceTypeAdmin(ReadOnlyAdmin):
    """Service types are kept on the staff Service types pages (service_type_save, logged)."""

    list_display = ["code", "name", "duration_minutes", "is_group", "is_active"]


class LocationHoursInline(ReadOnlyInline):
    model = LocationHours


@admin.register(Location)
class LocationAdmin(ReadOnlyAdmin):
    """Offices and their opening hours are kept on the staff Locations pages, whose services refuse the zone change
    and closing that would strand sessions, and log each change."""

    list_display = ["name", "city", "state", "time_zone", "place_of_service", "is_main", "is_active"]
    list_filter = ["is_active"]
    inlines = [LocationHoursInline]


@admin.register(Room)
class RoomAdmin(ReadOnlyAdmin):
    """Rooms are kept on the staff Locations pages, which refuse moving one once sessions are booked there."""

    list_display = ["name", "location", "capacity", "is_active"]
    list_filter = ["location"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(ReadOnlyAdmin):
    """Working hours are kept on the therapist's page, whose service checks them against booked sessions."""

    list_display = ["therapist", "location", "weekday", "start_time", "end_time"]
    list_filter = ["location", "therapist", "weekday"]


@admin.register(TimeOff)
class TimeOffAdmin(ReadOnlyAdmin):
    """Time off is added on the therapist's page, which names the sessions to move first."""

    list_display = ["therapist", "start", "end", "time_zone", "reason"]
    list_filter = ["therapist"]


@admin.register(AppointmentSeries)
class AppointmentSeriesAdmin(ReadOnlyAdmin):
    """Series are booked, moved and ended through the front desk pages so reminders and occurrences follow."""

    list_display = ["pk", "therapist", "weekday", "local_start_time", "interval_weeks", "first_date", "status"]
    list_filter = ["status", "therapist"]
    raw_id_fields = ["patient", "therapist", "created_by"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    """Read-only: booking here would skip the conflict checks' clear answers, reminders and billing."""

    list_display = ["pk", "start", "therapist", "service_type", "room", "status"]
    list_filter = ["status", "therapist", "service_type"]
    date_hierarchy = "start"
    raw_id_fields = ["patient", "therapist", "series", "cancelled_by", "created_by"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    """A feed address is a secret kept in a calendar app: listed and revoked here, never changed, so a revoked one
    stays dead and a live one is always its own therapist's."""

    list_display = ["therapist", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_revoke_permission(self, request) -> bool:
        """Revoking stops a therapist's calendar, a change: it takes the change permission on feeds (a superuser has
        it), not only the view permission that lists them. The form itself still changes nothing."""
        return request.user.has_perm(f"{self.opts.app_label}.{get_permission_codename('change', self.opts)}")

    @admin.action(description="Revoke the selected therapists' feeds", permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = 0
        therapists = User.objects.filter(pk__in=queryset.filter(revoked_at__isnull=True).values("therapist"))
        for therapist in therapists:
            revoked += services.calendar_feed_revoke(actor=request.user, therapist=therapist)
        self.message_user(request, f"{revoked} feed(s) revoked.", messages.SUCCESS)


@admin.register(AppointmentTransition)
class AppointmentTransitionAdmin(TransitionAdmin):
    list_display = ["appointment", *TransitionAdmin.list_display]
    raw_id_fields = ["appointment", "actor"]
