"""Referral fixtures: a clearance file of each kind, a signed release of information, the gate switched on."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core import clock
from apps.core.models import ClinicSettings
from apps.intake.models import DocumentKind, IntakeDocument
from apps.intake.services import document_sign, packet_send
from apps.referrals.services import inbound_receive, outbound_draft
from tests.factories import ServiceTypeFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHYSICIAN = {"provider_name": "Dr. Maya Chen", "provider_practice": "Back Bay TMS", "provider_fax": "+16175550141"}
REASON = "Chronic low back pain; imaging unremarkable."


def clearance_pdf(name: str = "clearance.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def psychotherapy(db):
    return ServiceTypeFactory(code="90834", name="Individual psychotherapy, 45 min", duration_minutes=45)


@pytest.fixture
def intake_assessment(db):
    return ServiceTypeFactory(code="90791", name="Intake assessment", duration_minutes=60)


@pytest.fixture
def clearance_required(db):
    settings_row = ClinicSettings.load()
    settings_row.require_medical_clearance = True
    settings_row.save()
    return settings_row


@pytest.fixture
def receive(personas):
    """receive(**overrides): an inbound referral logged by the front desk (for the personas' patient by default)."""

    def _receive(**overrides):
        values = {
            "actor": personas.front_desk,
            "reason": REASON,
            "received_on": clock.local_now().date() - dt.timedelta(days=2),
            "patient": personas.patient,
            **PHYSICIAN,
        }
        values.update(overrides)
        return inbound_receive(**values)

    return _receive


@pytest.fixture
def signed_release(personas):
    """The personas' patient signs the release of information (sent to them by the front desk first)."""
    document = IntakeDocument.objects.select_related("current_version").get(kind=DocumentKind.RELEASE_OF_INFORMATION)
    packet_send(actor=personas.front_desk, patient=personas.patient, documents=[document])
    signature, _ = document_sign(
        actor=personas.patient_user,
        patient=personas.patient,
        version=document.current_version,
        shown_sha256=document.current_version.body_sha256,
        typed_name=personas.patient.legal_name,
    )
    return signature


OUTBOUND_REASON = "Evaluation for medication to support sleep."


def psychiatry_referral(personas, **extra):
    """A draft referral of the personas' patient to a psychiatrist, written by their therapist."""
    return outbound_draft(
        actor=personas.therapist,
        patient=personas.patient,
        recipient_kind="psychiatrist",
        recipient_name="Dr. Sam Okafor",
        reason=OUTBOUND_REASON,
        **extra,
    )
