"""An uploaded file's kind is decided by one check in every area that keeps files: its first bytes and its name's
extension, refused in the same words."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core.errors import ApplicationError
from apps.education.uploads import library_file_kind
from apps.messaging.uploads import attachment_kind


@pytest.mark.parametrize("check", [attachment_kind, library_file_kind])
def test_a_renamed_file_is_refused_by_its_first_bytes_in_every_area(check):
    renamed = SimpleUploadedFile("notes.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    with pytest.raises(ApplicationError, match="notes.pdf is not a file we accept") as refused:
        check(renamed)
    assert refused.value.status == 400


@pytest.mark.parametrize("check", [attachment_kind, library_file_kind])
def test_a_pdf_is_a_pdf_in_every_area(check):
    assert check(SimpleUploadedFile("reading.pdf", b"%PDF-1.4\n%%EOF\n")) == "application/pdf"
