"""Outbound referrals: a treating therapist drafts one, sends it under the patient's signed release of
information, and it is tracked to acknowledged and closed. The letter carries no session-note content."""

import pytest

from apps.audit.models import AccessLog
from apps.core.errors import InvalidTransition, PermissionDenied, Unprocessable
from apps.notes.services import process_note_create
from apps.patients.services import patient_discharge
from apps.referrals.letters import letter_html, letter_pdf
from apps.referrals.models import OutboundReferral, OutboundStatus
from apps.referrals.services import outbound_acknowledge, outbound_close, outbound_draft, outbound_send
from tests.factories import AppointmentFactory
from tests.notes.conftest import CANARY

from .conftest import OUTBOUND_REASON, psychiatry_referral

pytestmark = pytest.mark.django_db
REASON = OUTBOUND_REASON


@pytest.fixture
def draft(personas):
    return psychiatry_referral(personas, recipient_fax="+16175550190")


def test_sending_without_a_signed_release_is_refused_and_stays_a_draft(personas, draft):
    with pytest.raises(InvalidTransition, match="release of information"):
        outbound_send(actor=personas.therapist, referral=draft)
    assert OutboundReferral.objects.get(pk=draft.pk).status == OutboundStatus.DRAFT


def test_the_lifecycle_runs_draft_sent_acknowledged_closed_with_audit_rows(personas, draft, signed_release):
    sent = outbound_send(actor=personas.therapist, referral=draft)
    assert sent.status == OutboundStatus.SENT and sent.release == signed_release and sent.sent_at
    acknowledged = outbound_acknowledge(actor=personas.front_desk, referral=sent)
    assert acknowledged.status == OutboundStatus.ACKNOWLEDGED
    closed = outbound_close(actor=personas.front_desk, referral=acknowledged)
    assert closed.status == OutboundStatus.CLOSED
    actions = list(
        AccessLog.objects.filter(subject_type="referrals.outboundreferral")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "referral_outbound_draft",
        "referral_outbound_send",
        "referral_outbound_acknowledge",
        "referral_outbound_close",
    ]
    with pytest.raises(InvalidTransition):
        outbound_close(actor=personas.front_desk, referral=closed)


def test_another_patients_release_is_refused(personas, draft, signed_release):
    other = outbound_draft(
        actor=personas.other_therapist,
        patient=personas.other_patient,
        recipient_kind="physician",
        recipient_name="Dr. Lee",
        reason="Follow-up",
    )
    with pytest.raises(Unprocessable):
        outbound_send(actor=personas.other_therapist, referral=other, release=signed_release)


@pytest.mark.parametrize("who", ["other_therapist", "front_desk", "billing"])
def test_only_the_treating_therapist_refers_out_and_sends(personas, draft, signed_release, who):
    actor = getattr(personas, who)
    with pytest.raises(PermissionDenied):
        outbound_draft(
            actor=actor, patient=personas.patient, recipient_kind="physician", recipient_name="X", reason="Y"
        )
    with pytest.raises(PermissionDenied):
        outbound_send(actor=actor, referral=draft)


def test_an_unknown_kind_of_provider_is_refused(personas):
    with pytest.raises(Unprocessable):
        outbound_draft(
            actor=personas.therapist,
            patient=personas.patient,
            recipient_kind="astrologer",
            recipient_name="X",
            reason="Y",
        )


def test_the_letter_names_the_reason_and_release_and_no_note_content(personas, draft, signed_release):
    session = AppointmentFactory(therapist=personas.therapist, patient=personas.patient, status="completed")
    process_note_create(actor=personas.therapist, patient=personas.patient, text=CANARY, appointment=session)
    sent = outbound_send(actor=personas.therapist, referral=draft)
    html = letter_html(sent)
    assert REASON in html and "Dr. Sam Okafor" in html and personas.patient.legal_name in html
    assert "Release of information" in html
    assert CANARY not in html
    assert letter_pdf(sent).startswith(b"%PDF-")


def test_the_letter_download_is_a_pdf_for_the_desk_and_refused_to_others(personas, login, draft, signed_release):
    sent = outbound_send(actor=personas.therapist, referral=draft)
    response = login(personas.front_desk).get(f"/referrals/outbound/{sent.pk}/letter.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    for who in ("other_therapist", "billing"):
        assert login(getattr(personas, who)).get(f"/referrals/outbound/{sent.pk}/letter.pdf").status_code == 404


def test_a_draft_is_not_sent_once_the_patient_is_discharged(personas, draft, signed_release):
    patient_discharge(actor=personas.front_desk, patient=personas.patient)

    with pytest.raises(Unprocessable, match="discharged"):
        outbound_send(actor=personas.therapist, referral=draft)
    assert OutboundReferral.objects.get(pk=draft.pk).status == OutboundStatus.DRAFT
