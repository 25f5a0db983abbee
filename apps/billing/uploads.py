"""Proof-of-income files: one check for the portal form and the API alike."""

from django.core.exceptions import ValidationError

PROOF_MAX_BYTES = 10 * 1024 * 1024
PROOF_EXTENSIONS = (".pdf", ".png", ".jpg", ".jpeg", ".heic")


def validate_proof_of_income(upload) -> None:
    """A PDF or an image, up to 10 MB."""
    if upload.size > PROOF_MAX_BYTES:
        raise ValidationError("The file is larger than 10 MB.", code="file_too_large")
    if not (upload.name or "").lower().endswith(PROOF_EXTENSIONS):
        raise ValidationError("Upload a PDF or an image.", code="file_type")
