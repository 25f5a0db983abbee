"""Every write to referrals: receiving, reviewing, accepting and declining inbound referrals; recording medical
clearances and exceptions; drafting, sending, acknowledging and closing outbound referrals.

Each service checks the permission and the allowed transition on the locked row, and writes its audit row (never
the reason text, which is clinical) in the same transaction.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.dates import DateReach
from apps.core.encryption import encrypt_text
from apps.core.errors import InvalidTransition, Unprocessable
from apps.core.permissions import permission_require
from apps.core.uploads import upload_kind

from .models import (
    OUTBOUND_RECIPIENT_FIELDS,
    WAITING_STATUSES,
    ClearanceDocument,
    ClearanceException,
    InboundReferral,
    InboundStatus,
    OutboundReferral,
    OutboundStatus,
    RecipientKind,
)
from .selectors import release_choices

# A referral letter is logged when it comes in, or backfilled from paper records; a date more than ten years back
# is a typing slip (1900, 0001), refused naming the dates accepted.
RECEIVED_REACH = DateReach(years_back=10, years_ahead=0)

INBOUND_PROVIDER_FIELDS = ("provider_name", "provider_practice", "provider_phone", "provider_fax", "provider_email")
INBOUND_PROSPECT_FIELDS = ("prospect_name", "prospect_phone", "prospect_email")


def _audit(actor, action: str, subject, patient_id: int | None, **detail) -> None:
    access_log_write(actor=actor, action=action, subject=subject, patient_id=patient_id, detail=detail or None)


def _required_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Unprocessable(message, fields={field: ["Required."]})
    return value


def _active_patient(patient, field: str = "patient"):
    if not patient.is_in_care:
        raise Unprocessable("This patient has been discharged.", fields={field: ["Discharged patient."]})
    return patient


# ---------------------------------------------------------------------------------------------------------------
# Inbound


@transaction.atomic
def inbound_receive(
    *,
    actor,
    provider_name: str,
    reason: str,
    received_on: dt.date,
    patient=None,
    clearance=None,
    cleared_by: str = "",
    **details: str,
) -> InboundReferral:
    """Log a referral as it arrives, for a patient with a chart or a prospective one named by `prospect_name`
    (and phone or email), with the clearance document when it came with the referral."""
    permission_require(
        actor, "referrals.receive_inbound", message="Only the front desk or an administrator logs referrals."
    )
    unknown = set(details) - set(INBOUND_PROVIDER_FIELDS) - set(INBOUND_PROSPECT_FIELDS)
    if unknown:
        raise Unprocessable(f"Unknown fields: {', '.join(sorted(unknown))}.")
    fields = {name: (details.get(name) or "").strip() for name in (*INBOUND_PROVIDER_FIELDS, *INBOUND_PROSPECT_FIELDS)}
    fields["provider_name"] = _required_text(provider_name, "provider_name", "Name the referring provider.")
    if patient is None and not fields["prospect_name"]:
        raise Unprocessable(
            "Choose the patient, or give the prospective patient's name.",
            fields={"prospect_name": ["Required without a patient."]},
        )
    if patient is not None:
        _active_patient(patient)
    if received_on > clock.local_now().date():
        raise Unprocessable("A referral cannot be received in the future.", fields={"received_on": ["In the future."]})
    RECEIVED_REACH.require(received_on, field="received_on")
    referral = InboundReferral.objects.create(
        patient=patient,
        reason_encrypted=encrypt_text(_required_text(reason, "reason", "Give the reason for the referral.")),
        received_on=received_on,
        created_by=actor,
        **fields,
    )
    _audit(actor, "referral_inbound_receive", referral, referral.patient_id)
    if clearance is not None:
        clearance_record(actor=actor, upload=clearance, referral=referral, cleared_by=cleared_by)
    return referral


def _inbound_locked(referral: InboundReferral) -> InboundReferral:
    return InboundReferral.objects.select_for_update().get(pk=referral.pk)


@transaction.atomic
def inbound_review_start(*, actor, referral: InboundReferral) -> InboundReferral:
    permission_require(actor, "referrals.receive_inbound")
    referral = _inbound_locked(referral)
    if referral.status != InboundStatus.RECEIVED:
        raise InvalidTransition(f"A referral that is {referral.get_status_display().lower()} cannot go into review.")
    referral.status = InboundStatus.IN_REVIEW
    referral.save(update_fields=["status", "updated_at"])
    _audit(actor, "referral_inbound_review", referral, referral.patient_id)
    return referral


@transaction.atomic
def inbound_accept(*, actor, referral: InboundReferral, patient=None) -> InboundReferral:
    """Accept the referral onto a chart: the one it names, or `patient`, which links a prospective patient to the
    chart the front desk found or created for them. A referral already on a chart stays on it."""
    permission_require(actor, "referrals.receive_inbound")
    referral = _inbound_locked(referral)
    if referral.status not in WAITING_STATUSES:
        raise InvalidTransition(f"A referral that is {referral.get_status_display().lower()} cannot be accepted.")
    if patient is not None and referral.patient_id not in (None, patient.pk):
        raise Unprocessable("This referral is for another patient.", fields={"patient": ["Another patient."]})
    chosen = patient or referral.patient
    if chosen is None:
        raise Unprocessable(
            "Link the referral to the patient's chart before accepting it.", fields={"patient": ["Required."]}
        )
    linked = referral.patient_id is None
    referral.patient = _active_patient(chosen)
    referral.status = InboundStatus.ACCEPTED
    referral.decided_at, referral.decided_by = clock.now(), actor
    referral.save(update_fields=["patient", "status", "decided_at", "decided_by", "updated_at"])
    _audit(actor, "referral_inbound_accept", referral, referral.patient_id, linked_prospect=linked)
    return referral


@transaction.atomic
def inbound_decline(*, actor, referral: InboundReferral, reason: str) -> InboundReferral:
    permission_require(actor, "referrals.receive_inbound")
    reason = _required_text(reason, "reason", "Say why the referral is declined.")
    referral = _inbound_locked(referral)
    if referral.status not in WAITING_STATUSES:
        raise InvalidTransition(f"A referral that is {referral.get_status_display().lower()} cannot be declined.")
    referral.status = InboundStatus.DECLINED
    referral.decline_reason_encrypted = encrypt_text(reason)
    referral.decided_at, referral.decided_by = clock.now(), actor
    referral.save(update_fields=["status", "decline_reason_encrypted", "decided_at", "decided_by", "updated_at"])
    _audit(actor, "referral_inbound_decline", referral, referral.patient_id)
    return referral


# ---------------------------------------------------------------------------------------------------------------
# Medical clearance


@transaction.atomic
def clearance_record(
    *, actor, upload, referral: InboundReferral | None = None, patient=None, cleared_by: str = ""
) -> ClearanceDocument:
    """Keep a clearance document, on a referral still open or accepted, or straight on a patient's chart. The file
    is checked by its first bytes and size before anything is written."""
    if (referral is None) == (patient is None):
        raise Unprocessable("A clearance belongs to a referral or to a chart.")
    if referral is not None:
        permission_require(
            actor, "referrals.receive_inbound", message="Only the front desk or an administrator may do that."
        )
        referral = _inbound_locked(referral)
        if referral.status == InboundStatus.DECLINED:
            raise InvalidTransition("A declined referral takes no clearance: record it on the patient's chart.")
    else:
        permission_require(actor, "referrals.record_clearance", patient)
    if upload is None:
        raise Unprocessable("Attach the clearance document.", fields={"file": ["Required."]})
    kind = upload_kind(upload, max_mb=settings.CLINIC_CLEARANCE_MAX_MB, field="file")
    clearance = ClearanceDocument.objects.create(
        referral=referral,
        patient=patient,
        file=upload,
        kind=kind,
        size=upload.size,
        cleared_by=cleared_by.strip()[:200],
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    patient_id = patient.pk if patient is not None else referral.patient_id
    _audit(actor, "clearance_record", clearance, patient_id, referral_id=referral.pk if referral else None)
    return clearance


@transaction.atomic
def clearance_exception_grant(*, actor, patient, reason: str) -> ClearanceException:
    """Document why this patient's psychotherapy may start without a clearance on file."""
    permission_require(
        actor,
        "referrals.grant_clearance_exception",
        patient,
        message="Only the treating psychotherapist or an administrator may start therapy without a clearance.",
    )
    reason = _required_text(reason, "reason", "Say why therapy may start without a clearance.")
    # Nothing is booked for a discharged patient, so there is no therapy to start.
    _active_patient(patient)
    exception = ClearanceException.objects.create(
        patient=patient, reason_encrypted=encrypt_text(reason), granted_by=actor, granted_at=clock.now()
    )
    _audit(actor, "clearance_exception_grant", exception, patient.pk)
    return exception


# ---------------------------------------------------------------------------------------------------------------
# Outbound


@transaction.atomic
def outbound_draft(*, actor, patient, reason: str, recipient_kind: str, recipient_name: str, **recipient: str):
    """A treating therapist's referral of their patient to an outside provider, saved as a draft."""
    permission_require(
        actor, "referrals.write_outbound", patient, message="Only the patient's psychotherapist may refer them out."
    )
    if recipient_kind not in RecipientKind.values:
        raise Unprocessable("Choose who the patient is referred to.", fields={"recipient_kind": ["Unknown kind."]})
    unknown = set(recipient) - set(OUTBOUND_RECIPIENT_FIELDS)
    if unknown:
        raise Unprocessable(f"Unknown fields: {', '.join(sorted(unknown))}.")
    referral = OutboundReferral.objects.create(
        patient=_active_patient(patient),
        therapist=actor,
        recipient_kind=recipient_kind,
        recipient_name=_required_text(recipient_name, "recipient_name", "Name the provider."),
        reason_encrypted=encrypt_text(_required_text(reason, "reason", "Give the reason for the referral.")),
        **{name: (value or "").strip() for name, value in recipient.items()},
    )
    _audit(actor, "referral_outbound_draft", referral, patient.pk)
    return referral


def _outbound_locked(referral: OutboundReferral) -> OutboundReferral:
    return OutboundReferral.objects.select_for_update().select_related("patient").get(pk=referral.pk)


@transaction.atomic
def outbound_send(*, actor, referral: OutboundReferral, release=None) -> OutboundReferral:
    """Send the referral under a release of information in force for the patient (signed at the release's current
    version, within the clinic's term for a release): `release`, or their newest one. Without one it is refused
    (409) and stays a draft."""
    permission_require(
        actor, "referrals.write_outbound", referral.patient, message="Only the patient's psychotherapist may send it."
    )
    referral = _outbound_locked(referral)
    if referral.status != OutboundStatus.DRAFT:
        raise InvalidTransition(f"A referral that is {referral.get_status_display().lower()} cannot be sent.")
    # As for drafting: the clinic refers out patients in its care, not one discharged since the draft.
    _active_patient(referral.patient)
    releases = list(release_choices(patient=referral.patient))
    if release is not None and release.pk not in {r.pk for r in releases}:
        raise Unprocessable(
            "That is not a release of information in force for this patient.",
            fields={"release": ["Not this patient's, expired, or signed at an earlier version."]},
        )
    if not releases:
        raise InvalidTransition(
            "The patient has no release of information in force (never signed, expired, or signed before its text "
            "changed): send them the release form before the referral.",
            fields={"release": ["No release in force."]},
        )
    referral.release = release or releases[0]
    referral.status = OutboundStatus.SENT
    referral.sent_at, referral.sent_by = clock.now(), actor
    referral.save(update_fields=["release", "status", "sent_at", "sent_by", "updated_at"])
    _audit(actor, "referral_outbound_send", referral, referral.patient_id, release_id=referral.release_id)
    return referral


@transaction.atomic
def outbound_acknowledge(*, actor, referral: OutboundReferral) -> OutboundReferral:
    """The provider confirmed they received the referral."""
    permission_require(actor, "referrals.track_outbound", referral.patient)
    referral = _outbound_locked(referral)
    if referral.status != OutboundStatus.SENT:
        raise InvalidTransition(f"A referral that is {referral.get_status_display().lower()} cannot be acknowledged.")
    referral.status = OutboundStatus.ACKNOWLEDGED
    referral.acknowledged_at = clock.now()
    referral.save(update_fields=["status", "acknowledged_at", "updated_at"])
    _audit(actor, "referral_outbound_acknowledge", referral, referral.patient_id)
    return referral


@transaction.atomic
def outbound_close(*, actor, referral: OutboundReferral) -> OutboundReferral:
    """Close the referral: done with, or (as a draft) withdrawn before it was sent."""
    permission_require(actor, "referrals.track_outbound", referral.patient)
    referral = _outbound_locked(referral)
    if referral.status == OutboundStatus.CLOSED:
        raise InvalidTransition("This referral is already closed.")
    was = referral.status
    referral.status = OutboundStatus.CLOSED
    referral.closed_at = clock.now()
    referral.save(update_fields=["status", "closed_at", "updated_at"])
    _audit(actor, "referral_outbound_close", referral, referral.patient_id, was=was)
    return referral
