import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core.models import ClinicSettings
from apps.messaging import services

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def upload(name: str = "scan.pdf", content: bytes = PDF, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def clinic_thread(personas):
    """The patient's conversation with the front desk, with the patient's first message."""
    return services.thread_start(
        actor=personas.patient_user, patient=personas.patient, subject="Parking", text="Where do I park?"
    )


@pytest.fixture
def therapist_messages_on(personas):
    """The clinic lets patients message therapists, and the patient's therapist takes messages."""
    ClinicSettings.objects.update_or_create(id=1, defaults={"patient_messages_to_therapists": True})
    personas.therapist.therapist_profile.accepts_patient_messages = True
    personas.therapist.therapist_profile.save()
    return personas
