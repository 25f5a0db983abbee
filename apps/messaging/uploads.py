"""Message attachments: a PDF, PNG or JPEG up to the configured size, told apart by their first bytes (a renamed
file is refused, whatever its extension says)."""

from django.conf import settings

from apps.core.errors import ApplicationError

from .models import AttachmentKind

# The signature each accepted kind starts with, and the extensions its name may carry.
SIGNATURES = {
    AttachmentKind.PDF: (b"%PDF-", (".pdf",)),
    AttachmentKind.PNG: (b"\x89PNG\r\n\x1a\n", (".png",)),
    AttachmentKind.JPEG: (b"\xff\xd8\xff", (".jpg", ".jpeg")),
}
MAX_ATTACHMENTS = 5


def attachment_max_bytes() -> int:
    return settings.CLINIC_MESSAGE_ATTACHMENT_MAX_MB * 1024 * 1024


def attachment_limit_text() -> str:
    return f"PDF, PNG or JPEG files up to {settings.CLINIC_MESSAGE_ATTACHMENT_MAX_MB} MB each"


def attachment_kind(upload) -> str:
    """The upload's kind, or ApplicationError (a 400) naming the limit it broke."""
    if upload.size > attachment_max_bytes():
        raise ApplicationError(
            f"{upload.name} is too large: send {attachment_limit_text()}.", fields={"attachments": ["Too large."]}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    name = (upload.name or "").lower()
    for kind, (signature, extensions) in SIGNATURES.items():
        if head.startswith(signature) and name.endswith(extensions):
            return kind
    raise ApplicationError(
        f"{upload.name} is not a file we accept: send {attachment_limit_text()}.",
        fields={"attachments": ["Wrong file type."]},
    )


def attachments_check(uploads) -> list[tuple[object, str]]:
    """Every upload with its kind; the first one that fails refuses them all, before anything is written."""
    uploads = list(uploads or [])
    if len(uploads) > MAX_ATTACHMENTS:
        raise ApplicationError(
            f"Attach at most {MAX_ATTACHMENTS} files to one message.", fields={"attachments": ["Too many files."]}
        )
    return [(upload, attachment_kind(upload)) for upload in uploads]
