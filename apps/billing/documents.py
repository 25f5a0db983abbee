"""PDF documents (statements, superbills, receipts) rendered from HTML templates with WeasyPrint."""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.document import Document

from apps.core.models import ClinicSettings


def pdf_document(template: str, context: dict) -> Document:
    """The document laid out in pages, before it is written: what the PDF prints, box by box, so a test can tell
    where each piece of text stands on the page."""
    html = render_to_string(template, {"clinic": ClinicSettings.load(), **context})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).render()


def pdf_bytes(template: str, context: dict) -> bytes:
    return pdf_document(template, context).write_pdf()


def pdf_response(template: str, context: dict, *, filename: str) -> HttpResponse:
    response = HttpResponse(pdf_bytes(template, context), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
