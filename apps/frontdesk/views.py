"""The staff home: for the front desk and admins, the clinic's day; for a therapist, their own; for every staff
member, finding a patient."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from apps.core.models import ClinicSettings
from apps.scheduling.selectors import location_chosen, locations_active

from .selectors import front_desk_day, therapist_day


@login_required
@require_safe
def home(request):
    user = request.user
    if user.is_patient and not user.is_clinic_staff:
        return redirect("portal:dashboard")
    context = {"clinic": ClinicSettings.load(), "day": None, "my_day": None}
    if user.has_perm("frontdesk.view_day"):
        location = location_chosen(request.GET.get("location"))
        context["day"] = front_desk_day(user=user, location=location)
        context["locations"] = locations_active()
    elif user.has_perm("scheduling.own_schedule"):
        context["my_day"] = therapist_day(user=user)
    return render(request, "frontdesk/home.html", context)
