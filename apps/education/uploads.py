"""Files for the library: a PDF reading or an MP3/M4A recording up to the configured size, told apart by their
first bytes (a renamed file is refused, whatever its extension says)."""

from django.conf import settings

from apps.core.errors import ApplicationError

from .models import FileKind

# How each accepted kind starts (at which byte offset), and the extensions its name may carry.
SIGNATURES = {
    FileKind.PDF: ([(0, b"%PDF-")], (".pdf",)),
    FileKind.MP3: ([(0, b"ID3"), (0, b"\xff\xfb"), (0, b"\xff\xf3"), (0, b"\xff\xf2")], (".mp3",)),
    FileKind.M4A: ([(4, b"ftyp")], (".m4a",)),
}


def file_max_bytes() -> int:
    return settings.CLINIC_EDUCATION_FILE_MAX_MB * 1024 * 1024


def file_limit_text() -> str:
    return f"a PDF, MP3 or M4A file up to {settings.CLINIC_EDUCATION_FILE_MAX_MB} MB"


def _matches(head: bytes, signatures) -> bool:
    return any(head[offset : offset + len(sig)] == sig for offset, sig in signatures)


def library_file_kind(upload) -> str:
    """The upload's kind, or ApplicationError (a 400) naming the limit it broke."""
    if upload.size > file_max_bytes():
        raise ApplicationError(f"That file is too large: upload {file_limit_text()}.", fields={"file": ["Too large."]})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    name = (upload.name or "").lower()
    for kind, (signatures, extensions) in SIGNATURES.items():
        if _matches(head, signatures) and name.endswith(extensions):
            return kind
    raise ApplicationError(
        f"That is not a file we accept: upload {file_limit_text()}.", fields={"file": ["Wrong file type."]}
    )
