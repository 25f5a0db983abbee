"""Every write to the clinic's locations and their opening hours (admins; audited like rooms and service types).

A location's zone times everything booked there, so it is fixed once sessions are; a location stays open while
sessions are booked there, and the main one (where a booking that names no place goes) always does. A weekly time
freed there and still on the slot waitlist holds both as a booked session does: its sessions would be booked there,
at its local time (the waitlist says why, through `extensions.office_change_refusal`).
"""

from django.db import transaction

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import Conflict, Unprocessable
from apps.core.time_zones import zone_short_label

from . import extensions
from .models import Appointment, AppointmentSeries, AppointmentStatus, Location, LocationHours
from .services import reference_save, save_held_by
from .zones import zones_forget


def _zone_change_refused(location: Location, data: dict) -> None:
    new_zone = data.get("time_zone", location.time_zone)
    if new_zone == location.time_zone:
        return
    booked = Appointment.objects.filter(location=location).exists()
    if booked or AppointmentSeries.objects.filter(location=location).exists():
        raise Conflict(
            f"Sessions at {location.name} are timed in {zone_short_label(location.time_zone)}; its zone cannot change "
            "under them.",
            fields={"time_zone": ["Fixed once sessions are booked at this location."]},
        )
    if refusal := extensions.office_change_refusal(location=location, closing=False):
        raise Conflict(refusal, fields={"time_zone": ["Freed weekly times on the slot waitlist are timed in it."]})


def _closing_refused(location: Location, data: dict) -> None:
    if data.get("is_active", True) or not location.is_active:
        return
    if location.is_main:
        raise Conflict(
            "The main location stays open: bookings that name no place go there.",
            fields={"is_active": ["The main location cannot be closed."]},
        )
    coming = Appointment.objects.filter(location=location, status=AppointmentStatus.BOOKED, start__gte=clock.now())
    if count := coming.count():
        raise Conflict(
            f"{count} coming session{'s' if count != 1 else ''} {'are' if count != 1 else 'is'} booked at "
            f"{location.name}; move or cancel them before closing it.",
            fields={"is_active": ["Sessions are booked here."]},
        )
    if refusal := extensions.office_change_refusal(location=location, closing=True):
        raise Conflict(refusal, fields={"is_active": ["Freed weekly times on the slot waitlist are here."]})


@transaction.atomic
def location_save(*, actor, location: Location | None = None, **data) -> Location:
    """Create or change a location. Its zone is fixed once anything is booked there (their local times were
    computed in it); it closes only with no coming sessions, and never when it is the main one."""
    if location is not None and location.pk:
        location = Location.objects.select_for_update().get(pk=location.pk)
        _zone_change_refused(location, data)
        _closing_refused(location, data)
    location = reference_save(actor=actor, action="location_save", instance=location or Location(), data=data)
    zones_forget()
    return location


def _hours_overlap(hours: LocationHours) -> Unprocessable:
    return Unprocessable(
        f"{hours.get_weekday_display()} already has opening hours overlapping these at {hours.location.name}.",
        fields={"opens": ["Overlaps other opening hours that day."]},
    )


@transaction.atomic
def location_hours_save(*, actor, hours: LocationHours | None = None, **data) -> LocationHours:
    """Opening hours of one weekday, in the location's local time; blocks of one day never overlap (the database
    holds that, so a lost race gets the same answer)."""
    instance = LocationHours.objects.select_for_update().get(pk=hours.pk) if hours else LocationHours()
    for name, value in data.items():
        setattr(instance, name, value)
    if instance.opens >= instance.closes:
        raise Unprocessable("A location closes after it opens.", fields={"closes": ["Must be after opening."]})
    instance.full_clean(validate_constraints=False)  # the overlap is the database's to hold, below
    save_held_by(instance, "location_hours_no_overlap", refusal=lambda: _hours_overlap(instance))
    access_log_write(
        actor=actor,
        action="location_hours_save",
        subject=instance.location,
        detail={"weekday": instance.weekday, "opens": str(instance.opens), "closes": str(instance.closes)},
    )
    return instance


@transaction.atomic
def location_hours_delete(*, actor, hours: LocationHours) -> None:
    hours = LocationHours.objects.select_for_update().select_related("location").get(pk=hours.pk)
    access_log_write(
        actor=actor,
        action="location_hours_delete",
        subject=hours.location,
        detail={"weekday": hours.weekday, "opens": str(hours.opens), "closes": str(hours.closes)},
    )
    hours.delete()
