"""A patient's records request through the API, as the patient's page answers it: an administrator asks for the
record PDF, follows it while a worker prepares it, and downloads it once ready.

POST /api/patients/<id>/record-exports/ asks (202, or 200 with the one already being prepared);
GET /api/patients/<id>/record-exports/<export_id>/ says where it stands; GET .../download/ is the file.

403 for anyone but an administrator (before the patient is looked up, so nothing of them is told), 404 for no such
patient or an export that is not this patient's records request, 409 for a download while the file is being
prepared, 404 saying to ask again once it failed, expired or cannot be read.
"""

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import NotFound

from .documents import FORMATS, record_export_download
from .models import ExportAudience, ExportStatus
from .selectors import record_export_of, records_request_patient
from .services import record_export_request


class RecordExportLinks(serializers.Serializer):
    status = serializers.CharField(help_text="Where this export stands (this answer).")
    download = serializers.CharField(allow_null=True, help_text="The file, while it is ready; null otherwise.")


class RecordExportOutput(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField(source="patient_id")
    format = serializers.CharField()
    status = serializers.ChoiceField(choices=ExportStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    requested_at = serializers.DateTimeField(help_text="When it was asked for.")
    requested_by = serializers.CharField(source="requested_by.full_name", help_text="Who asked for it.")
    ready_at = serializers.SerializerMethodField(help_text="When the file was made; null until then, or if it failed.")
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the file is deleted; after that, ask again. Null until it is ready."
    )
    failure = serializers.CharField(help_text="Why it could not be prepared, in plain words; empty otherwise.")
    links = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_ready_at(self, export):
        made = export.status in {ExportStatus.READY, ExportStatus.EXPIRED}
        return serializers.DateTimeField().to_representation(export.finished_at) if made else None

    @extend_schema_field(RecordExportLinks)
    def get_links(self, export) -> dict:
        args = [export.patient_id, export.pk]
        download = reverse("record-export-download", args=args) if export.status == ExportStatus.READY else None
        return {"status": reverse("record-export", args=args), "download": download}


def _export(request, patient_id, export_id):
    """The patient's records-request export `export_id`, the chart's opening logged as the page logs it."""
    patient = records_request_patient(user=request.user, patient_id=patient_id)
    export = record_export_of(patient=patient, audience=ExportAudience.RECORDS_REQUEST, export_id=export_id)
    if export is None:
        raise NotFound("No such record export.")
    return export


class RecordExportsView(APIView):
    @extend_schema(
        request=None,
        responses={202: RecordExportOutput, 200: RecordExportOutput},
        description="Ask for the patient's record as a PDF for a records request, as the patient's page does: 202 "
        "with the new export, prepared in the background; 200 with the one already being prepared, when there is "
        "one (no second is made). Administrators only.",
    )
    def post(self, request, patient_id):
        patient = records_request_patient(user=request.user, patient_id=patient_id)
        export, queued = record_export_request(
            actor=request.user, patient=patient, audience=ExportAudience.RECORDS_REQUEST
        )
        answer = status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK
        return Response(RecordExportOutput(export).data, status=answer)


class RecordExportView(APIView):
    @extend_schema(
        responses={200: RecordExportOutput},
        description="Where the export stands: queued (being prepared), ready, failed or expired.",
    )
    def get(self, request, patient_id, export_id):
        return Response(RecordExportOutput(_export(request, patient_id, export_id)).data)


class JsonErrors(DefaultContentNegotiation):
    """The file is the answer whatever the client accepts (`Accept: application/pdf` included); only an error is
    rendered, and errors are JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class RecordExportDownloadView(APIView):
    content_negotiation_class = JsonErrors
    error_statuses = {"get": {409}}

    @extend_schema(
        responses={(200, FORMATS["pdf"]): OpenApiTypes.BINARY},
        description="The prepared file, decrypted, as an attachment; access-logged as the page's download is. 409 "
        "while it is being prepared; 404 saying to ask again once it failed, expired or cannot be read.",
    )
    def get(self, request, patient_id, export_id):
        return record_export_download(user=request.user, export=_export(request, patient_id, export_id))


def register(router) -> None:
    """Plain views, no router routes: see urlpatterns."""


urlpatterns = [
    path("patients/<int:patient_id>/record-exports/", RecordExportsView.as_view(), name="record-exports"),
    path("patients/<int:patient_id>/record-exports/<int:export_id>/", RecordExportView.as_view(), name="record-export"),
    path(
        "patients/<int:patient_id>/record-exports/<int:export_id>/download/",
        RecordExportDownloadView.as_view(),
        name="record-export-download",
    ),
]
