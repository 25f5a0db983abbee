"""A clearance document is a PDF, PNG or JPEG up to the configured size, told by its first bytes."""

import pytest
from django.db import ProgrammingError, transaction

from apps.core.errors import ApplicationError, InvalidTransition
from apps.referrals.models import ClearanceDocument
from apps.referrals.services import clearance_record, inbound_decline

from .conftest import clearance_pdf

pytestmark = pytest.mark.django_db


def test_a_renamed_file_is_refused_whatever_its_extension_says(personas):
    with pytest.raises(ApplicationError, match="not a file we accept") as refused:
        clearance_record(
            actor=personas.front_desk, upload=clearance_pdf(content=b"MZ\x90\x00 not a pdf"), patient=personas.patient
        )
    assert refused.value.status == 400 and refused.value.fields == {"file": ["Wrong file type."]}
    assert not ClearanceDocument.objects.exists()


def test_a_file_over_the_limit_is_refused(personas, settings):
    settings.CLINIC_CLEARANCE_MAX_MB = 1
    big = clearance_pdf(content=b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1))
    with pytest.raises(ApplicationError, match="too large"):
        clearance_record(actor=personas.front_desk, upload=big, patient=personas.patient)


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [("scan.png", b"\x89PNG\r\n\x1a\n0000", "image/png"), ("scan.JPG", b"\xff\xd8\xff\xe0000", "image/jpeg")],
)
def test_images_are_kept_with_their_kind(personas, name, head, kind):
    clearance = clearance_record(actor=personas.front_desk, upload=clearance_pdf(name, head), patient=personas.patient)
    assert clearance.kind == kind and clearance.file.name.startswith("referrals/clearances/")
    assert name.lower() not in clearance.file.name


def test_a_declined_referral_takes_no_clearance(personas, receive):
    referral = inbound_decline(actor=personas.front_desk, referral=receive(), reason="Not for us")
    with pytest.raises(InvalidTransition):
        clearance_record(actor=personas.front_desk, upload=clearance_pdf(), referral=referral)


def test_kept_clearances_cannot_be_deleted(personas):
    clearance = clearance_record(actor=personas.front_desk, upload=clearance_pdf(), patient=personas.patient)
    with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
        ClearanceDocument.objects.filter(pk=clearance.pk).delete()
