"""Files for the library: a PDF reading or an MP3/M4A recording up to the configured size, told apart by their
first bytes (a renamed file is refused, whatever its extension says)."""

from django.conf import settings

from apps.core.uploads import file_kind

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


def library_file_kind(upload) -> str:
    """The upload's kind, or ApplicationError (a 400) naming the limit it broke."""
    return file_kind(
        upload, signatures=SIGNATURES, max_bytes=file_max_bytes(), limit_text=file_limit_text(), field="file"
    )
