"""Uploaded files the clinic keeps (message attachments, medical clearances, library items): each of a kind an
area accepts, up to a size, told apart by its first bytes, so a renamed file is refused whatever its extension
says. Documents (a PDF, PNG or JPEG) are what most areas accept; `file_kind` is the check for every area."""

import uuid
from pathlib import Path

from django.db import models

from apps.core.errors import ApplicationError


class UploadKind(models.TextChoices):
    PDF = "application/pdf", "PDF"
    PNG = "image/png", "PNG image"
    JPEG = "image/jpeg", "JPEG image"


PDF, PNG, JPEG = UploadKind.PDF.value, UploadKind.PNG.value, UploadKind.JPEG.value
# For each accepted kind, the bytes it may start with (each at its byte offset), and the extensions its name may
# carry.
DOCUMENT_SIGNATURES = {
    PDF: ([(0, b"%PDF-")], (".pdf",)),
    PNG: ([(0, b"\x89PNG\r\n\x1a\n")], (".png",)),
    JPEG: ([(0, b"\xff\xd8\xff")], (".jpg", ".jpeg")),
}


def unguessable_upload_path(folder: str, filename: str) -> str:
    """Where a stored upload goes under `folder`: a random name keeping only the extension, because the uploader's
    file name is often the patient's own name and must not be guessable from a URL."""
    suffix = Path(filename).suffix.lower()[:10]
    return f"{folder}/{uuid.uuid4().hex}{suffix}"


def upload_limit_text(max_mb: int) -> str:
    return f"PDF, PNG or JPEG files up to {max_mb} MB each"


def _carries(head: bytes, marks) -> bool:
    return any(head[offset : offset + len(mark)] == mark for offset, mark in marks)


def file_kind(upload, *, signatures: dict, max_bytes: int, limit_text: str, field: str) -> str:
    """The upload's kind among `signatures` (kind -> marks and extensions), or ApplicationError (a 400 on `field`)
    naming the limit it broke, `limit_text` saying what is accepted."""
    if upload.size > max_bytes:
        raise ApplicationError(f"{upload.name} is too large: send {limit_text}.", fields={field: ["Too large."]})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    name = (upload.name or "").lower()
    for kind, (marks, extensions) in signatures.items():
        if _carries(head, marks) and name.endswith(extensions):
            return kind
    raise ApplicationError(
        f"{upload.name} is not a file we accept: send {limit_text}.", fields={field: ["Wrong file type."]}
    )


def upload_kind(upload, *, max_mb: int, field: str) -> str:
    """A document's MIME type (PDF, PNG or JPEG up to `max_mb`), or ApplicationError naming the limit it broke."""
    return file_kind(
        upload,
        signatures=DOCUMENT_SIGNATURES,
        max_bytes=max_mb * 1024 * 1024,
        limit_text=upload_limit_text(max_mb),
        field=field,
    )
