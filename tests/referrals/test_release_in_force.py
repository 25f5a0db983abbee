"""An outbound referral goes out only under a release of information in force: signed at the release's current
version (the words the patient agreed to are the clinic's words today) and within the clinic's term for a
release, which the shipped text states ("This permission ends one year after you sign it")."""

import datetime as dt

import pytest
import time_machine

from apps.core import clock
from apps.core.errors import InvalidTransition, Unprocessable
from apps.core.models import ClinicSettings
from apps.intake.models import DocumentKind, IntakeDocument
from apps.intake.selectors import patient_documents
from apps.intake.services import document_publish
from apps.referrals.models import OutboundReferral, OutboundStatus
from apps.referrals.selectors import outbound_drafts, release_choices
from apps.referrals.services import outbound_send

from .conftest import psychiatry_referral

pytestmark = pytest.mark.django_db


def _release_document() -> IntakeDocument:
    return IntakeDocument.objects.get(kind=DocumentKind.RELEASE_OF_INFORMATION)


def _has_release(referral) -> bool:
    return outbound_drafts().get(pk=referral.pk).has_release


def _refused_and_still_a_draft(personas, referral, **kwargs) -> None:
    with pytest.raises(InvalidTransition, match="no release of information in force"):
        outbound_send(actor=personas.therapist, referral=referral, **kwargs)
    assert OutboundReferral.objects.get(pk=referral.pk).status == OutboundStatus.DRAFT


def test_the_shipped_term_is_the_year_the_release_text_states():
    assert ClinicSettings.load().release_valid_days == 365
    assert "ends one year after you sign it" in _release_document().current_version.body


def test_a_release_signed_400_days_ago_is_not_in_force(personas, signed_release):
    referral = psychiatry_referral(personas)
    with time_machine.travel(signed_release.signed_at + dt.timedelta(days=400), tick=False):
        assert list(release_choices(patient=personas.patient)) == []
        assert not _has_release(referral)
        _refused_and_still_a_draft(personas, referral)


def test_naming_an_expired_release_is_refused(personas, signed_release):
    referral = psychiatry_referral(personas)
    with (
        time_machine.travel(signed_release.signed_at + dt.timedelta(days=400), tick=False),
        pytest.raises(Unprocessable, match="in force"),
    ):
        outbound_send(actor=personas.therapist, referral=referral, release=signed_release)


def test_a_release_is_in_force_until_the_term_ends(personas, signed_release):
    referral = psychiatry_referral(personas)
    with time_machine.travel(signed_release.signed_at + dt.timedelta(days=364, hours=23), tick=False):
        assert _has_release(referral)
        assert outbound_send(actor=personas.therapist, referral=referral).release == signed_release


def test_the_term_is_the_clinics_setting(personas, signed_release):
    settings_row = ClinicSettings.load()
    settings_row.release_valid_days = 30
    settings_row.save()
    referral = psychiatry_referral(personas)
    with time_machine.travel(signed_release.signed_at + dt.timedelta(days=31), tick=False):
        assert not _has_release(referral)
        _refused_and_still_a_draft(personas, referral)


def test_a_release_signed_at_an_earlier_version_does_not_count(personas, signed_release):
    document = _release_document()
    document_publish(
        actor=personas.admin, document=document, body=document.current_version.body + "\n\nRevised wording."
    )
    referral = psychiatry_referral(personas)
    # Intake asks for the new version, and sending agrees: the one rule of "signed".
    [status] = [row for row in patient_documents(patient=personas.patient) if row.document.pk == document.pk]
    assert status.needs_new_signature
    assert not _has_release(referral)
    _refused_and_still_a_draft(personas, referral)
    with pytest.raises(Unprocessable, match="in force"):
        outbound_send(actor=personas.therapist, referral=referral, release=signed_release)


def test_a_retired_release_form_does_not_count(personas, signed_release):
    IntakeDocument.objects.filter(pk=signed_release.document_id).update(is_active=False)
    referral = psychiatry_referral(personas)
    assert not _has_release(referral)
    _refused_and_still_a_draft(personas, referral)


def test_a_release_in_force_still_sends_at_any_hour(personas, signed_release):
    referral = psychiatry_referral(personas)
    with time_machine.travel(clock.now() + dt.timedelta(days=200, hours=7), tick=False):
        assert outbound_send(actor=personas.therapist, referral=referral).status == OutboundStatus.SENT
