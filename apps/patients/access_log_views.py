import csv
from itertools import islice

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from apps.audit.selectors import access_log_list
from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.htmx import render_page
from apps.core.spreadsheets import csv_row
from apps.core.views import form_status, query_without_page

from .access_log_forms import AccessLogFilterForm
from .selectors import patients_by_id

CSV_BATCH = 2000
# The action's code stays as logged (for filters and scripts), its words beside it for the people reading the file.
CSV_HEADER = [
    "when",
    "staff or patient",
    "email",
    "action",
    "action in words",
    "allowed",
    "record",
    "patient id",
    "patient",
    "from",
]


@login_required
@require_safe
def access_log(request):
    if not request.user.has_perm("audit.view_access_log"):
        raise PermissionDenied
    form = AccessLogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = access_log_list(
        patient_id=filters.get("patient"),
        actor=filters.get("actor"),
        since=filters.get("since"),
        until=filters.get("until"),
        denied_only=filters.get("denied_only", False),
    )
    if request.GET.get("format") == "csv" and not form.errors:
        # The export itself is a read of who saw whose chart: it is logged like one.
        access_log_write(
            actor=request.user,
            action="access_log_export",
            subject=request.user,
            patient_id=filters.get("patient"),
            detail={k: str(v) for k, v in filters.items() if v not in (None, "", False)},
        )
        return _csv_response(rows)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    names = patients_by_id([filters.get("patient"), *(row.patient_id for row in page)])
    for row in page:
        row.patient = names.get(row.patient_id)
    context = {
        "form": form,
        "page": page,
        "patient": names.get(filters.get("patient")),
        "query": query_without_page(request),
    }
    response = render_page(request, "audit/access_log.html", context, partial="audit/_access_log_rows.html")
    # One check for the page and its export: filters with an error are left out of the rows, the page says what to
    # fix, and it answers 422 (an export of more than was asked for would pass for the filtered one, so none is
    # made). htmx swaps only successful answers, so the rows it asks for come with 200 and the summary above them.
    if not getattr(request, "htmx", False):
        response.status_code = form_status(form)
    return response


def _csv_response(rows) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="access-log.csv"'
    return response


class _Echo:
    def write(self, value):
        return value


def _csv_lines(rows):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    stream = rows.iterator(chunk_size=CSV_BATCH)
    while batch := list(islice(stream, CSV_BATCH)):
        names = patients_by_id(row.patient_id for row in batch)
        for row in batch:
            patient = names.get(row.patient_id)
            yield writer.writerow(
                csv_row(
                    [
                        timezone.localtime(row.at, clock.clinic_tz()).isoformat(timespec="seconds"),
                        row.actor.full_name if row.actor else "",
                        row.actor.email if row.actor else "",
                        row.action,
                        row.action_words,
                        "yes" if row.allowed else "refused",
                        f"{row.subject_type}#{row.subject_id}",
                        row.patient_id or "",
                        patient.display_name if patient else "",
                        row.ip_address or "",
                    ]
                )
            )
