"""The patient's own sessions: upcoming list, telehealth links, cancelling within the clinic's policy."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from apps.core.errors import ApplicationError
from apps.core.models import ClinicSettings
from apps.core.money import money_text
from apps.core.views import refusal_status
from apps.patients.portal import portal_patient

from . import selectors, services


@login_required
@require_safe
def session_list(request):
    patient = portal_patient(request, "scheduling.use_portal_sessions")
    clinic = ClinicSettings.load()
    context = {
        "patient": patient,
        "appointments": selectors.patient_upcoming(patient=patient),
        "window_hours": clinic.cancellation_window_hours,
        "self_booking_on": clinic.self_booking_enabled,
    }
    return render(request, "scheduling/portal/sessions.html", context)


@login_required
def session_cancel(request, pk):
    """Confirm, then cancel. Inside the window the page says plainly that it is a late cancellation and what it
    costs (the fee it will charge, or the package session it uses, as the cancellation's preview prices it); a
    session the patient may not cancel (already begun, no longer booked) says why, before and after asking, by the
    check cancelling makes."""
    patient = portal_patient(request, "scheduling.use_portal_sessions")
    appointment = selectors.appointment_get(user=request.user, appointment_id=pk)
    if appointment is None or appointment.patient_id != patient.pk:
        raise Http404("No such session.")
    context = {"appointment": appointment, "window_hours": ClinicSettings.load().cancellation_window_hours}
    try:
        # The fee stated is the preview's, priced by the rule the late-cancel charge itself posts by; after
        # cancelling, the message says what the preview stated.
        preview = services.cancellation_preview(appointment=appointment, actor=request.user)
        if request.method == "POST":
            cancelled = services.appointment_cancel(
                appointment=appointment, actor=request.user, reason=request.POST.get("reason", "")[:300]
            )
            if cancelled.status == "late_cancelled":
                messages.warning(request, _late_cancelled_message(preview.outcomes[0].fee))
            else:
                messages.success(request, "Session cancelled. No fee applies.")
            return redirect("portal:sessions:list")
        context["outcome"], context["late"] = preview.outcomes[0], preview.is_late
    except ApplicationError as exc:
        context["refusal"] = exc.message
        return render(request, "scheduling/portal/cancel.html", context, status=refusal_status(exc))
    return render(request, "scheduling/portal/cancel.html", context)


def _late_cancelled_message(fee) -> str:
    """What the late cancellation cost, in the confirmation's words: a package session, a fee, or nothing."""
    if fee is not None and fee.package_session:
        return "Session cancelled. As a late cancellation, one session of your package was used for it."
    if fee is not None and fee.fee:
        return f"Session cancelled. As a late cancellation, a fee of {money_text(fee.fee)} was charged to your account."
    return "Session cancelled. It was a late cancellation, but the clinic has no fee set for it, so none was charged."
