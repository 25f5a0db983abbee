"""Staff side: an administrator answers a patient's records request with the same download the patient gets."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views.decorators.http import require_POST

from apps.core.errors import NotFound
from apps.patients.selectors import patient_open_chart

from .documents import FORMATS, record_download


@login_required
@require_POST
def patient_record_export(request, patient_id, fmt):
    if not request.user.has_perm("records.export_for_patient"):
        raise PermissionDenied
    if fmt not in FORMATS:
        raise Http404("No such format.")
    try:
        patient = patient_open_chart(user=request.user, patient_id=patient_id, perm="patients.open_chart_page")
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return record_download(user=request.user, patient=patient, fmt=fmt)
