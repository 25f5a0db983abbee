"""Message attachments: a PDF, PNG or JPEG up to the configured size (apps.core.uploads checks each)."""

from django.conf import settings

from apps.core.errors import ApplicationError
from apps.core.uploads import upload_kind, upload_limit_text

MAX_ATTACHMENTS = 5


def attachment_limit_text() -> str:
    return upload_limit_text(settings.CLINIC_MESSAGE_ATTACHMENT_MAX_MB)


def attachment_kind(upload) -> str:
    """The upload's kind, or ApplicationError (a 400) naming the limit it broke."""
    return upload_kind(upload, max_mb=settings.CLINIC_MESSAGE_ATTACHMENT_MAX_MB, field="attachments")


def attachments_check(uploads) -> list[tuple[object, str]]:
    """Every upload with its kind; the first one that fails refuses them all, before anything is written."""
    uploads = list(uploads or [])
    if len(uploads) > MAX_ATTACHMENTS:
        raise ApplicationError(
            f"Attach at most {MAX_ATTACHMENTS} files to one message.", fields={"attachments": ["Too many files."]}
        )
    return [(upload, attachment_kind(upload)) for upload in uploads]
