"""Staff pages for therapists' working hours and time off.

Front desk and admins edit everyone's, a therapist their own. The pages call the services the API calls
(working_hours_save, time_off_save and their deletes), so both refuse the same overlaps with the same words.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from apps.accounts.disciplines import Discipline, discipline_of
from apps.accounts.services import therapist_profile_change
from apps.core import clock
from apps.core.api_lookups import id_or_none
from apps.core.errors import ApplicationError
from apps.core.time_zones import zone_time
from apps.core.views import form_refusal, form_status, posted
from apps.core.when import weekday_moment_text

from . import selectors
from .availability_kinds import KINDS
from .forms import DisciplineForm, SelfBookingForm, TimeOffForm, WorkingHoursForm


def _today_start() -> dt.datetime:
    return clock.local_datetime(clock.local_now().date(), dt.time(0, 0))


def _therapist(request, therapist_id):
    """The therapist whose hours the page edits: 404 for no such active therapist, 403 for someone else's."""
    if not request.user.has_perm("scheduling.add_availability"):
        raise PermissionDenied
    therapist = selectors.active_therapist(therapist_id=therapist_id)
    if therapist is None:
        raise Http404("No such therapist.")
    if not request.user.has_perm("scheduling.manage_therapist_availability", therapist):
        raise PermissionDenied
    return therapist


def _record(request, kind: str, pk):
    """Working hours or time off the user may edit; others' are 404 for a therapist, as in the API."""
    if not request.user.has_perm("scheduling.add_availability"):
        raise PermissionDenied
    record = KINDS[kind].visible(user=request.user).filter(pk=pk).first()
    if record is None:
        raise Http404("No such record.")
    if not request.user.has_perm("scheduling.manage_availability", record):
        raise PermissionDenied
    return record


def _saved(request, form, kind: str, **args):
    """Save through the service; a refusal lands on the form, in the service's words."""
    try:
        return KINDS[kind].save(actor=request.user, **args, **form.service_args())
    except ApplicationError as exc:
        form_refusal(form, exc)
        return None


def _warn_sessions_to_move(request, time_off) -> None:
    """Sessions already booked in new time off stay booked (as the API says too): name them to be moved."""
    clashes = selectors.sessions_in_time_off(time_off=time_off)
    if clashes:
        # Each at its own office's time, naming that office's zone in words when it is not the clinic's.
        when = "; ".join(
            weekday_moment_text(t) + (f" {zone_time(a.zone)}" if a.zone_differs else "")
            for a, t in ((a, a.local_start) for a in clashes)
        )
        messages.warning(request, f"Booked sessions fall in this time off; move or cancel them: {when}.")


def _discipline_saved(request, form, therapist) -> bool:
    try:
        therapist_profile_change(actor=request.user, user=therapist, **form.cleaned_data)
    except ApplicationError as exc:
        form_refusal(form, exc)
        return False
    return True


@login_required
@require_safe
def availability_index(request):
    """Every therapist's hours and coming time off, for the front desk and admins; a therapist goes to their own."""
    if not request.user.has_perm("scheduling.add_availability"):
        raise PermissionDenied
    chosen = id_or_none(request.GET.get("therapist"))
    if not request.user.has_perm("scheduling.manage_therapist_availability"):
        chosen = request.user.pk
    if chosen is not None:
        return redirect("scheduling:availability_therapist", therapist_id=chosen)
    therapists = selectors.therapists_with_availability(since=_today_start())
    return render(request, "scheduling/availability_index.html", {"therapists": therapists})


@login_required
def availability_therapist(request, therapist_id):
    """One therapist's working hours and time off, with forms to add either."""
    therapist = _therapist(request, therapist_id)
    hours = selectors.therapist_working_hours(therapist=therapist)
    office = selectors.therapist_location(therapist, hours=hours)
    hours_form = WorkingHoursForm(prefix="hours", initial={"location": office.pk})
    # New time off is typed on the clock of the office the therapist works at, when the offices keep more than one.
    office_zone = selectors.therapist_zone(therapist, hours=hours)
    off_form = None
    can_set_discipline = request.user.has_perm("accounts.manage_users")
    discipline_form = DisciplineForm(prefix="discipline", initial={"discipline": discipline_of(therapist)})
    if request.method == "POST":
        kind = request.POST.get("kind")
        if kind == "hours":
            hours_form = WorkingHoursForm(request.POST, prefix="hours")
            if hours_form.is_valid() and _saved(request, hours_form, "hours", therapist=therapist):
                messages.success(request, "Working hours added.")
                return redirect("scheduling:availability_therapist", therapist_id=therapist.pk)
        elif kind == "time-off":
            off_form = TimeOffForm(request.POST, prefix="off", office_zone=office_zone)
            if off_form.is_valid() and (time_off := _saved(request, off_form, "time-off", therapist=therapist)):
                messages.success(request, "Time off added.")
                _warn_sessions_to_move(request, time_off)
                return redirect("scheduling:availability_therapist", therapist_id=therapist.pk)
        elif kind == "self-booking":
            booking_form = SelfBookingForm(request.POST, prefix="booking")
            if booking_form.is_valid():
                therapist_profile_change(actor=request.user, user=therapist, **booking_form.cleaned_data)
                messages.success(request, "Online booking saved.")
                return redirect("scheduling:availability_therapist", therapist_id=therapist.pk)
        elif kind == "discipline":
            if not can_set_discipline:
                raise PermissionDenied
            discipline_form = DisciplineForm(request.POST, prefix="discipline")
            if discipline_form.is_valid() and _discipline_saved(request, discipline_form, therapist):
                messages.success(request, "Discipline saved.")
                return redirect("scheduling:availability_therapist", therapist_id=therapist.pk)
    profile = getattr(therapist, "therapist_profile", None)
    context = {
        "therapist": therapist,
        "can_choose": request.user.has_perm("scheduling.manage_therapist_availability"),
        "working_hours": hours,
        "time_off": selectors.therapist_time_off_ahead(therapist=therapist, since=_today_start()),
        "hours_form": hours_form,
        "off_form": off_form or TimeOffForm(prefix="off", office_zone=office_zone),
        "discipline_form": discipline_form if can_set_discipline else None,
        "discipline_label": Discipline(discipline_of(therapist)).label,
        "booking_form": SelfBookingForm(
            prefix="booking",
            initial={
                "self_booking": getattr(profile, "self_booking", False),
                "accepts_new_patients": getattr(profile, "accepts_new_patients", True),
            },
        ),
    }
    status = form_status(hours_form, off_form, discipline_form)
    return render(request, "scheduling/availability.html", context, status=status)


@login_required
def availability_edit(request, kind, pk):
    record = _record(request, kind, pk)
    spec = KINDS[kind]
    form = spec.form(posted(request), initial=spec.form.initial_for(record))
    if request.method == "POST" and form.is_valid() and (saved := _saved(request, form, kind, **{spec.noun: record})):
        messages.success(request, f"{spec.label.capitalize()} saved.")
        if kind == "time-off":
            _warn_sessions_to_move(request, saved)
        return redirect("scheduling:availability_therapist", therapist_id=record.therapist_id)
    context = {"record": record, "kind": kind, "label": spec.label, "form": form}
    return render(request, "scheduling/availability_edit.html", context, status=form_status(form))


@login_required
def availability_delete(request, kind, pk):
    """Asks first (GET), deletes on the confirming POST."""
    record = _record(request, kind, pk)
    spec = KINDS[kind]
    if request.method == "POST":
        spec.delete(actor=request.user, **{spec.noun: record})
        messages.success(request, f"{spec.label.capitalize()} deleted.")
        return redirect("scheduling:availability_therapist", therapist_id=record.therapist_id)
    return render(request, "scheduling/availability_delete.html", {"record": record, "kind": kind, "label": spec.label})
