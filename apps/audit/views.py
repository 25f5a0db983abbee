from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator

from apps.core.htmx import render_page

from .selectors import access_log_list


@login_required
def access_log(request):
    if not request.user.has_perm("audit.view_access_log"):
        raise PermissionDenied
    patient_id = request.GET.get("patient")
    rows = access_log_list(patient_id=int(patient_id) if patient_id and patient_id.isdigit() else None)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render_page(request, "audit/access_log.html", {"page": page}, partial="audit/_access_log_rows.html")
