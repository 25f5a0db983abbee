"""The patient's "Your records" page in the portal and its two downloads."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from apps.core.models import ClinicSettings
from apps.patients.portal import portal_patient

from .documents import FORMATS, record_download


@login_required
@require_safe
def records_home(request):
    portal_patient(request, "records.download_own")
    context = {"notes_released": ClinicSettings.load().records_release_session_notes}
    return render(request, "records/portal.html", context)


@login_required
@require_POST
def records_download(request, fmt):
    patient = portal_patient(request, "records.download_own")
    if fmt not in FORMATS:
        raise Http404("No such format.")
    return record_download(user=request.user, patient=patient, fmt=fmt)
