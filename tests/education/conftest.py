import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.education import services
from apps.education.models import CareLevel, ItemKind

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
MP3 = b"ID3\x04\x00\x00" + b"\x00" * 32
M4A = b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 32


def upload(name: str = "chapter.pdf", content: bytes = PDF, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def reading(personas):
    return services.library_item_create(
        actor=personas.admin,
        title="Healing Back Pain, chapter 1",
        kind=ItemKind.READING,
        care_level=CareLevel.EDUCATION,
        description="Why the pain is real and what drives it.",
        link="https://example.test/healing-back-pain",
    )


@pytest.fixture
def prompt(personas):
    return services.library_item_create(
        actor=personas.therapist,
        title="What was happening in your life when the pain began?",
        kind=ItemKind.JOURNALING_PROMPT,
        description="Write freely about the months before the pain.",
    )


@pytest.fixture
def shared_prompt(personas, prompt):
    """The journaling prompt, shared by the patient's therapist with a note."""
    return services.assignment_create(
        actor=personas.therapist, patient=personas.patient, item=prompt, note="Take your time with this one."
    )


@pytest.fixture
def shared_reading(personas, reading):
    return services.assignment_create(actor=personas.therapist, patient=personas.patient, item=reading)
