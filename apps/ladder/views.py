"""Staff pages: moving a patient between rungs (the form sits in the chart's care level card), and the ladder
report with its CSV."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from apps.core.errors import ApplicationError, NotFound
from apps.core.forms import FORM_REFUSED_STATUS
from apps.core.links import next_or
from apps.core.replica import reads_from_replica
from apps.core.spreadsheets import csv_row
from apps.core.views import form_refusal, form_status, posted

from . import reports, selectors, services
from .forms import CareLevelMoveForm, ReportPeriodForm
from .models import CareLevel


@login_required
def care_level_move(request, patient_id):
    """GET: the move form on its own page; POST: the move. A refusal shows the form again with the reason why; a
    patient the user may see but not move gets the 403 page (PermissionDenied, logged by the selector)."""
    try:
        patient = selectors.patient_to_move(user=request.user, patient_id=patient_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    current = selectors.care_level_of(patient=patient)
    form = CareLevelMoveForm(posted(request), current=current.level if current else "")
    if form.is_bound and form.is_valid():
        try:
            services.care_level_set(patient=patient, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_refusal(form, exc)
        else:
            level = CareLevel(form.cleaned_data["level"]).label
            messages.success(request, f"{patient.display_name} moved to {level}.")
            return redirect(next_or(request, reverse("patients:detail", args=[patient.pk])))
    context = {"patient": patient, "current": current, "form": form, "next": next_or(request, "")}
    return render(request, "ladder/move.html", context, status=form_status(form))


def _report_form(request) -> ReportPeriodForm:
    if not request.user.has_perm("ladder.view_report"):
        raise PermissionDenied
    return ReportPeriodForm(request.GET or ReportPeriodForm.default_data())


@login_required
@require_safe
@reads_from_replica
def ladder_report(request):
    form = _report_form(request)
    report = reports.ladder_report(**form.cleaned_data) if form.is_valid() else None
    return render(
        request, "ladder/report.html", {"form": form, "report": report}, status=200 if report else FORM_REFUSED_STATUS
    )


@login_required
@require_safe
@reads_from_replica
def ladder_report_csv(request):
    form = _report_form(request)
    if not form.is_valid():
        return render(request, "ladder/report.html", {"form": form, "report": None}, status=FORM_REFUSED_STATUS)
    report = reports.ladder_report(**form.cleaned_data)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ladder-{report.start}-{report.end}.csv"'
    writer = csv.writer(response)
    for table in report.tables:
        writer.writerow(csv_row([table.title]))
        writer.writerow(csv_row(table.headers))
        for row in table.rows:
            writer.writerow(csv_row(row))
        writer.writerow([])
    return response
