"""The outbound referral letter as a PDF, rendered like the clinic's other documents (WeasyPrint from a template).

It carries what the release covers: who is referred, to whom, why, and the release it is sent under. Nothing is
read from session notes, so no psychotherapy-note content can reach it."""

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML

from apps.core.models import ClinicSettings

from .models import OutboundReferral
from .selectors import referral_reason


def letter_html(referral: OutboundReferral) -> str:
    context = {
        "clinic": ClinicSettings.load(),
        "referral": referral,
        "patient": referral.patient,
        "reason": referral_reason(referral),
    }
    return render_to_string("referrals/letter_pdf.html", context)


def letter_pdf(referral: OutboundReferral) -> bytes:
    return HTML(string=letter_html(referral), base_url=str(settings.BASE_DIR)).write_pdf()


def letter_filename(referral: OutboundReferral) -> str:
    return f"referral-{referral.pk}.pdf"
