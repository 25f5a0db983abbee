"""The patient's "Your records" page in the portal and its two downloads."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import ClinicSettings

from .documents import FORMATS, record_download


def _patient_of(request):
    patient = getattr(request.user, "patient", None)
    if patient is None or not request.user.has_perm("records.download_own"):
        raise PermissionDenied
    return patient


@login_required
@require_GET
def records_home(request):
    _patient_of(request)
    context = {"notes_released": ClinicSettings.load().records_release_session_notes}
    return render(request, "records/portal.html", context)


@login_required
@require_POST
def records_download(request, fmt):
    patient = _patient_of(request)
    if fmt not in FORMATS:
        raise Http404("No such format.")
    return record_download(user=request.user, patient=patient, fmt=fmt)
