"""Staff pages for the clinic's locations: their address and zone, opening hours and rooms.

Every staff member may read them; admins change them, through the services the API calls (location_save,
location_hours_save, room_save), so both refuse the same things in the same words.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from apps.core.errors import ApplicationError
from apps.core.permissions import permission_require
from apps.core.views import form_refusal, form_status, posted

from . import locations, services
from .forms import LocationForm, LocationHoursForm, RoomForm
from .models import Location, LocationHours, Room

VIEW, MANAGE = "scheduling.view_reference_data", "scheduling.manage_reference_data"


def _saved(form, service, **args) -> object | None:
    """Save the form through `service` when it is valid: what it saved, or None, refused, its words on the form
    (the page then answers `form_status`: 422, or 409 as the API does for a conflict)."""
    if not form.is_valid():
        return None
    try:
        return service(**args, **form.service_args())
    except ApplicationError as exc:
        form_refusal(form, exc)
        return None


@login_required
@require_safe
def location_list(request):
    permission_require(request.user, VIEW)
    rows = Location.objects.prefetch_related("hours", "rooms")
    context = {"locations": rows, "can_manage": request.user.has_perm(MANAGE)}
    return render(request, "scheduling/locations.html", context)


@login_required
def location_new(request):
    permission_require(request.user, MANAGE)
    form = LocationForm(posted(request))
    saved = _saved(form, locations.location_save, actor=request.user) if form.is_bound else None
    if saved:
        messages.success(request, f"{saved.name} added.")
        return redirect("scheduling:location_detail", pk=saved.pk)
    return render(request, "scheduling/location_form.html", {"form": form, "location": None}, status=form_status(form))


@login_required
def location_detail(request, pk):
    """One location: its details (a form for admins), its opening hours and its rooms."""
    permission_require(request.user, VIEW)
    location = get_object_or_404(Location, pk=pk)
    can_manage = request.user.has_perm(MANAGE)
    forms = {
        "location": LocationForm(instance=location),
        "hours": LocationHoursForm(prefix="hours"),
        "room": RoomForm(prefix="room", initial={"location": location.pk}),
    }
    if request.method == "POST":
        permission_require(request.user, MANAGE)
        kind, form, saved = _posted(request, location)
        if saved:
            return redirect("scheduling:location_detail", pk=location.pk)
        forms[kind] = form
    context = {
        "location": location,
        "can_manage": can_manage,
        "form": forms["location"],
        "hours": location.hours.all(),
        "hours_form": forms["hours"],
        "rooms": location.rooms.all(),
        "room_form": forms["room"],
    }
    return render(request, "scheduling/location_form.html", context, status=form_status(*forms.values()))


def _posted(request, location) -> tuple[str, object, bool]:
    """Save the posted form (the location's details, a block of opening hours, or a new room): which one it was,
    the bound form (to show again with why, when refused) and whether it was saved."""
    kind = request.POST.get("kind")
    if kind == "hours":
        form = LocationHoursForm(request.POST, prefix="hours")
        service, args, success = locations.location_hours_save, {"location": location}, "Opening hours added."
    elif kind == "room":
        form = RoomForm(request.POST, prefix="room")
        service, args, success = services.room_save, {}, "Room added."
    else:
        # A copy to validate on, so that a refused change leaves the page showing the location as stored.
        kind, form = "location", LocationForm(request.POST, instance=Location.objects.get(pk=location.pk))
        service, args, success = locations.location_save, {"location": location}, "Location saved."
    saved = _saved(form, service, actor=request.user, **args)
    if saved is not None:
        messages.success(request, success)
    return kind, form, saved is not None


@login_required
def location_hours_delete(request, pk, hours_id):
    """Asks first (GET), removes on the confirming POST."""
    permission_require(request.user, MANAGE)
    hours = get_object_or_404(LocationHours.objects.select_related("location"), pk=hours_id, location_id=pk)
    if request.method == "POST":
        locations.location_hours_delete(actor=request.user, hours=hours)
        messages.success(request, "Opening hours removed.")
        return redirect("scheduling:location_detail", pk=pk)
    return render(request, "scheduling/location_hours_delete.html", {"hours": hours})


@login_required
def room_edit(request, pk):
    """A room's name, capacity, use, and location (fixed once sessions are booked in it)."""
    permission_require(request.user, MANAGE)
    room = get_object_or_404(Room.objects.select_related("location"), pk=pk)
    form = RoomForm(posted(request), instance=Room.objects.get(pk=pk))
    saved = _saved(form, services.room_save, actor=request.user, room=room) if form.is_bound else None
    if saved:
        messages.success(request, f"{saved.name} saved.")
        return redirect("scheduling:location_detail", pk=saved.location_id)
    return render(request, "scheduling/room_form.html", {"form": form, "room": room}, status=form_status(form))
