"""Uploaded files the clinic keeps (message attachments, medical clearances): a PDF, PNG or JPEG up to a size,
told apart by their first bytes, so a renamed file is refused whatever its extension says."""

import uuid
from pathlib import Path

from django.db import models

from apps.core.errors import ApplicationError


class UploadKind(models.TextChoices):
    PDF = "application/pdf", "PDF"
    PNG = "image/png", "PNG image"
    JPEG = "image/jpeg", "JPEG image"


PDF, PNG, JPEG = UploadKind.PDF.value, UploadKind.PNG.value, UploadKind.JPEG.value
# The signature each accepted kind starts with, and the extensions its name may carry.
SIGNATURES = {
    PDF: (b"%PDF-", (".pdf",)),
    PNG: (b"\x89PNG\r\n\x1a\n", (".png",)),
    JPEG: (b"\xff\xd8\xff", (".jpg", ".jpeg")),
}


def unguessable_upload_path(folder: str, filename: str) -> str:
    """Where a stored upload goes under `folder`: a random name keeping only the extension, because the uploader's
    file name is often the patient's own name and must not be guessable from a URL."""
    suffix = Path(filename).suffix.lower()[:10]
    return f"{folder}/{uuid.uuid4().hex}{suffix}"


def upload_limit_text(max_mb: int) -> str:
    return f"PDF, PNG or JPEG files up to {max_mb} MB each"


def upload_kind(upload, *, max_mb: int, field: str) -> str:
    """The upload's MIME type, or ApplicationError (a 400 on `field`) naming the limit it broke."""
    if upload.size > max_mb * 1024 * 1024:
        raise ApplicationError(
            f"{upload.name} is too large: send {upload_limit_text(max_mb)}.", fields={field: ["Too large."]}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    name = (upload.name or "").lower()
    for kind, (signature, extensions) in SIGNATURES.items():
        if head.startswith(signature) and name.endswith(extensions):
            return kind
    raise ApplicationError(
        f"{upload.name} is not a file we accept: send {upload_limit_text(max_mb)}.",
        fields={field: ["Wrong file type."]},
    )
