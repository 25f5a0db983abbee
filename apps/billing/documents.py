"""PDF documents (statements, superbills, receipts) rendered from HTML templates with WeasyPrint."""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from weasyprint import HTML

from apps.core.models import ClinicSettings


def pdf_bytes(template: str, context: dict) -> bytes:
    html = render_to_string(template, {"clinic": ClinicSettings.load(), **context})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def pdf_response(template: str, context: dict, *, filename: str) -> HttpResponse:
    response = HttpResponse(pdf_bytes(template, context), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
