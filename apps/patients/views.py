from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.core.errors import ApplicationError, NotFound
from apps.core.htmx import render_page
from apps.core.links import next_or, next_path
from apps.core.permissions import permission_require
from apps.core.views import action_from_url, call_with_messages, form_call, form_refusal, form_status, posted

from . import selectors, services
from .forms import PatientForm, SmsConsentForm
from .models import PatientStatus

# What another page may fill in on a new chart from what it knows about the person.
PREFILLABLE = ("legal_first_name", "legal_last_name", "phone", "email")


def _open_chart(request, pk):
    try:
        return selectors.patient_open_chart(user=request.user, patient_id=pk, perm="patients.open_chart_page")
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_safe
def patient_list(request):
    permission_require(request.user, "patients.list_patients")
    query = request.GET.get("q", "").strip()
    # Only the statuses there are; anything else (a stale or hand-typed link) means any status.
    status = request.GET.get("status") if request.GET.get("status") in PatientStatus.values else None
    patients = selectors.patient_search(user=request.user, query=query, status=status)
    page = Paginator(patients, 50).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "status": status or ""}
    return render_page(request, "patients/list.html", context, partial="patients/_results.html")


@login_required
def patient_create(request):
    """A new chart. When it may duplicate one already registered, the page lists those charts and asks before
    creating it anyway ("Create anyway" posts the same values with confirm_duplicate)."""
    permission_require(request.user, "patients.add_patient")
    # Another page (an inbound referral) may send what it knows about the person to start from.
    form = PatientForm(posted(request), initial={k: v for k, v in request.GET.items() if k in PREFILLABLE})
    duplicates = []
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(
                actor=request.user,
                confirm_duplicate=request.POST.get("confirm_duplicate") == "yes",
                **form.cleaned_data,
            )
        except services.PossibleDuplicate as exc:
            duplicates = exc.matches
        except ApplicationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"{patient.display_name} was added.")
            return redirect(next_or(request, reverse("patients:detail", args=[patient.pk])))
    context = {"form": form, "title": "New patient", "duplicates": duplicates, "back": next_path(request)}
    return render(request, "patients/form.html", context, status=409 if duplicates else form_status(form))


@login_required
@require_safe
def patient_detail(request, pk):
    patient = _open_chart(request, pk)
    context = {
        "patient": patient,
        "can_edit": request.user.has_perm("patients.change_patient", patient),
        "can_invite": request.user.has_perm("patients.invite_patient", patient) and selectors.portal_invitable(patient),
        "portal": selectors.portal_standing(patient),
        "can_discharge": request.user.has_perm("patients.discharge_patient", patient),
    }
    return render(request, "patients/detail.html", context)


@login_required
def patient_edit(request, pk):
    """A chart's details. A name and birth date, or an email, changed to another chart's asks first, as a new chart
    does: the page lists those charts and "Save anyway" posts the same values with confirm_duplicate."""
    patient = _open_chart(request, pk)
    permission_require(request.user, "patients.change_patient", patient)
    form = PatientForm(posted(request), instance=patient)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in form.changed_data}
        had_texts = patient.sms_consent_at is not None
        try:
            updated = services.patient_update(
                actor=request.user,
                patient=patient,
                confirm_duplicate=request.POST.get("confirm_duplicate") == "yes",
                **changes,
            )
        except services.PossibleDuplicate as exc:
            duplicates = exc.matches
        except ApplicationError as exc:
            form_refusal(form, exc)
        else:
            saved = "Changes saved."
            if had_texts and updated.phone and updated.sms_consent_at is None:
                saved += (
                    " Text reminders are off until the patient agrees to texts at the new number (in the portal's "
                    "settings, or told at the desk and recorded under Texts)."
                )
            messages.success(request, saved)
            return redirect("patients:detail", pk=patient.pk)
    context = {"form": form, "title": f"Edit {patient.display_name}", "patient": patient, "duplicates": duplicates}
    return render(request, "patients/form.html", context, status=409 if duplicates else form_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def patient_discharge(request, pk):
    """Ending care asks first, saying what it does (or why it cannot be done yet); only the confirmation's post
    discharges."""
    patient = _open_chart(request, pk)
    permission_require(request.user, "patients.discharge_patient", patient)
    if patient.status == PatientStatus.DISCHARGED:
        messages.info(request, f"{patient.display_name} is already discharged.")
        return redirect("patients:detail", pk=patient.pk)
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        done = call_with_messages(
            request,
            lambda: services.patient_discharge(actor=request.user, patient=patient),
            f"{patient.display_name} is discharged.",
        )
        if done:
            return redirect("patients:detail", pk=patient.pk)
    context = {"patient": patient, "refusal": services.discharge_refusal(patient=patient)}
    return render(request, "patients/discharge_confirm.html", context, status=409 if context["refusal"] else 200)


@login_required
@require_http_methods(["GET", "POST"])
def patient_sms_consent(request, pk):
    """Consent to texts given at the desk, or its withdrawal: the page asks how, and for a confirmation, before
    recording it (patients.services.patient_sms_consent_record, the portal's service underneath)."""
    patient = _open_chart(request, pk)
    permission_require(request.user, "patients.record_sms_consent", patient)
    form = SmsConsentForm(posted(request), patient=patient)
    if form_call(
        request,
        form,
        lambda data: services.patient_sms_consent_record(
            actor=request.user,
            patient=patient,
            consent=form.giving,
            how=data["how"],
            text_reminders=data.get("text_reminders", False),
        ),
        "Consent to texts recorded." if form.giving else "Withdrawal of consent to texts recorded.",
    ):
        return redirect("patients:detail", pk=patient.pk)
    context = {"patient": patient, "form": form}
    return render(request, "patients/sms_consent.html", context, status=form_status(form))


# The chart's one-press actions: the permission each needs, its service, and what the page says once it went through.
CHART_ACTIONS = {
    "invite": (
        "patients.invite_patient",
        services.patient_invite_to_portal,
        "The portal invitation to {email} is being sent: the Portal line shows when it has gone out.",
    ),
    "reactivate": ("patients.discharge_patient", services.patient_reactivate, "{name} is an active patient again."),
}


@login_required
@require_POST
def patient_action(request, pk, action):
    perm, service, done = action_from_url(CHART_ACTIONS, action)
    patient = _open_chart(request, pk)
    permission_require(request.user, perm, patient)
    call_with_messages(
        request,
        lambda: service(actor=request.user, patient=patient),
        done.format(name=patient.display_name, email=patient.email),
    )
    return redirect("patients:detail", pk=patient.pk)
