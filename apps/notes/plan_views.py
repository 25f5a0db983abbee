"""Treatment-plan pages for therapists: write a draft (new or revising the plan in force), read a plan with progress
toward its goals, and sign it after attesting on a confirmation page."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from apps.core import clock, errors
from apps.core.errors import ApplicationError
from apps.core.htmx import render_page
from apps.core.views import posted, refusal_status

from . import plan_selectors as selectors
from . import plan_services as services
from .models import TreatmentPlanStatus
from .plan_content import plan_incomplete
from .plan_editor import blank_problem, editor_rows, error_lines, form_content, row_change, without_blank_rows
from .plan_forms import PlanSignForm
from .records_views import clinical_patient_or_404

# A new plan is due for review after this long unless the therapist picks another date.
DEFAULT_REVIEW_AFTER = dt.timedelta(days=90)


def _plan_for(request, pk, *, perm: str, action: str):
    try:
        return selectors.plan_get_for_action(user=request.user, plan_id=pk, perm=perm, action=action)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc


def _editor(
    request, *, patient, plan, content, start_date, review_date, revising=None, field_errors=None, focus="", status=200
):
    """The plan form; an htmx request (adding or removing a row) gets only the form's body back."""
    context = {
        "patient": patient,
        "plan": plan,
        "revising": revising,
        "form": editor_rows(
            content=content, start_date=start_date, review_date=review_date, errors=field_errors, focus=focus
        ),
    }
    if status != 200:
        return render(request, "notes/plan_form.html", context, status=status)
    return render_page(request, "notes/plan_form.html", context, partial="notes/_plan_form_body.html")


def _posted(request, *, patient, plan, save, revising=None):
    """Handle a POST of the plan form: add or remove a row (nothing saved), or save the draft through `save`."""
    content = form_content(request.POST)
    start_date, review_date = request.POST.get("start_date", ""), request.POST.get("review_date", "")
    page = {
        "patient": patient,
        "plan": plan,
        "revising": revising,
        "start_date": start_date,
        "review_date": review_date,
    }
    if request.POST.get("add") or request.POST.get("remove"):
        content, focus = row_change(content, add=request.POST.get("add", ""), remove=request.POST.get("remove", ""))
        return _editor(request, content=content, focus=focus, **page)
    content = without_blank_rows(content)
    try:
        plan = save(start_date=start_date, review_date=review_date, content=content)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _editor(request, content=content, field_errors=exc.fields, status=refusal_status(exc), **page)
    if "sign" in request.POST:
        return redirect("notes:plan_sign", pk=plan.pk)
    messages.success(request, "Draft plan saved.")
    return redirect("notes:plan_detail", pk=plan.pk)


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request, patient_id):
    """Start a plan for a patient; when one is in force, the draft starts as a copy of it (a revision)."""
    patient = clinical_patient_or_404(request, patient_id, perm="notes.add_plan", action="plan_create")
    draft = (
        selectors.plans_visible_to(user=request.user)
        .filter(patient=patient, author=request.user, status=TreatmentPlanStatus.DRAFT)
        .first()
    )
    if draft is not None:
        messages.info(request, "You already have a draft plan for this patient; here it is.")
        return redirect("notes:plan_edit", pk=draft.pk)
    active = selectors.plan_in_force(user=request.user, patient=patient)
    if request.method == "POST":
        return _posted(
            request,
            patient=patient,
            plan=None,
            revising=active,
            save=lambda **data: services.plan_create(actor=request.user, patient=patient, **data),
        )
    today = clock.local_now().date()
    content = {"problems": [blank_problem()], "interventions": []}
    if active is not None:
        content = selectors.plan_read(user=request.user, plan=active).content()
    return _editor(
        request,
        patient=patient,
        plan=None,
        revising=active,
        content=content,
        start_date=today,
        review_date=today + DEFAULT_REVIEW_AFTER,
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk):
    plan = _plan_for(request, pk, perm="notes.change_plan", action="plan_update")
    if plan.status != TreatmentPlanStatus.DRAFT:
        messages.error(request, "This plan is signed and can no longer change.")
        return redirect("notes:plan_detail", pk=plan.pk)
    if request.method == "POST":
        return _posted(
            request,
            patient=plan.patient,
            plan=plan,
            save=lambda **data: services.plan_update(actor=request.user, plan=plan, **data),
        )
    opened = selectors.plan_read(user=request.user, plan=plan, action="plan_view")
    return _editor(
        request,
        patient=plan.patient,
        plan=plan,
        content=opened.content(),
        start_date=plan.start_date,
        review_date=plan.review_date,
    )


def _plan_page_context(request, opened) -> dict:
    plan = opened.plan
    user = request.user
    return {
        "plan": plan,
        "patient": plan.patient,
        "problems": selectors.plan_progress(opened=opened),
        "interventions": opened.interventions,
        "can_edit": plan.status == TreatmentPlanStatus.DRAFT and user.has_perm("notes.change_plan", plan),
        "can_revise": plan.status == TreatmentPlanStatus.SIGNED and user.has_perm("notes.add_plan", plan.patient),
        "can_open_chart": user.has_perm("notes.view_clinical_chart", plan.patient),
    }


@login_required
@require_safe
def plan_detail(request, pk):
    try:
        opened = selectors.plan_open(user=request.user, plan_id=pk)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "notes/plan.html", _plan_page_context(request, opened))


@login_required
@require_http_methods(["GET", "POST"])
def plan_sign(request, pk):
    """The confirmation page: the plan as it will be signed, what signing does, and the attestation to tick."""
    plan = _plan_for(request, pk, perm="notes.sign_plan", action="plan_sign")
    if plan.status != TreatmentPlanStatus.DRAFT:
        messages.info(request, "This plan is already signed.")
        return redirect("notes:plan_detail", pk=plan.pk)
    form = PlanSignForm(posted(request))
    status = 200
    if request.method == "POST":
        attested = form.is_valid() and form.cleaned_data["attest"]
        try:
            services.plan_sign(actor=request.user, plan=plan, attest=attested)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            for message in exc.fields.get("attest", []):
                form.add_error("attest", message)
            status = refusal_status(exc)
        else:
            messages.success(request, "Plan signed.")
            return redirect("notes:plan_detail", pk=plan.pk)
    opened = selectors.plan_read(user=request.user, plan=plan)
    context = _plan_page_context(request, opened) | {
        "form": form,
        "missing": error_lines(content=opened.content(), errors=plan_incomplete(opened)),
        "attestation": services.PLAN_ATTESTATION,
        "replaces": selectors.plan_in_force(user=request.user, patient=plan.patient),
    }
    return render(request, "notes/plan_sign.html", context, status=status)
