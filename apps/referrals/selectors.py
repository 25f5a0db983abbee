"""Reads for referrals: the front desk's queue, a patient's referrals and clearance, and single referrals opened
by the people allowed to (each read of a referral's clinical reason is written to the access log)."""

from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When

from apps.accounts.models import User
from apps.audit.services import access_log_write, access_logs_write
from apps.core.encryption import decrypt_text
from apps.core.errors import NotFound
from apps.core.json_rows import from_row, row_of
from apps.intake.selectors import releases_signed, releases_signed_by
from apps.patients.models import Patient
from apps.patients.selectors import patients_visible_to

from .models import (
    WAITING_STATUSES,
    ClearanceDocument,
    ClearanceException,
    InboundReferral,
    InboundStatus,
    OutboundReferral,
    OutboundStatus,
)

MAX_PATIENT_MATCHES = 10


def _clearance_on_file():
    return ClearanceDocument.objects.filter(referral=OuterRef("pk"))


def inbound_with_status(*, statuses) -> QuerySet[InboundReferral]:
    """Referrals in any of `statuses`, those still missing a clearance first, then oldest first."""
    return (
        InboundReferral.objects.filter(status__in=statuses)
        .select_related("patient")
        .annotate(has_clearance=Exists(_clearance_on_file()))
        .order_by("has_clearance", "received_on", "pk")
    )


def inbound_waiting() -> QuerySet[InboundReferral]:
    """The queue: received or in review, those still missing a clearance first, then oldest first."""
    return inbound_with_status(statuses=WAITING_STATUSES)


def outbound_drafts() -> QuerySet[OutboundReferral]:
    """Drafts not sent yet, oldest first, each saying whether the patient has signed a release to send it under."""
    return (
        OutboundReferral.objects.filter(status=OutboundStatus.DRAFT)
        .select_related("patient", "therapist")
        .annotate(has_release=Exists(releases_signed_by(patient_ref="patient_id")))
        .order_by("has_release", "created_at", "pk")
    )


def queue_rows(user) -> QuerySet | None:
    """What the menu counts: inbound referrals waiting and outbound drafts (nothing for those who do not work the
    queue)."""
    if not user.has_perm("referrals.view_queue"):
        return None
    waiting = InboundReferral.objects.filter(status__in=WAITING_STATUSES).values("pk")
    return waiting.union(OutboundReferral.objects.filter(status=OutboundStatus.DRAFT).values("pk"), all=True)


def _clearances_of(patient) -> QuerySet[ClearanceDocument]:
    """Every clearance that came for the patient: recorded on the chart, or with one of their referrals."""
    return ClearanceDocument.objects.filter(Q(patient=patient) | Q(referral__patient=patient))


# A clearance counts once it is on the chart: recorded there, or on an inbound referral accepted for it.
_COUNTS = Q(referral__isnull=True) | Q(referral__status=InboundStatus.ACCEPTED)


def patient_has_clearance(*, patient) -> bool:
    return _clearances_of(patient).filter(_COUNTS).exists()


def patient_has_clearance_exception(*, patient) -> bool:
    return ClearanceException.objects.filter(patient=patient).exists()


@dataclass(frozen=True)
class ClearanceState:
    """All a page says of a patient's medical clearance, so that it says one thing: received (what the booking gate
    counts), an exception, or missing, and which referrals brought one."""

    documents: list[ClearanceDocument]  # counted: on the chart or on its accepted referrals, newest first
    exceptions: list[ClearanceException]
    awaiting: list[ClearanceDocument]  # came with a referral still waiting: counted once it is accepted

    @property
    def received(self) -> bool:
        return bool(self.documents)

    @property
    def excepted(self) -> bool:
        return bool(self.exceptions)

    @property
    def counted_referrals(self) -> frozenset[int]:
        return frozenset(d.referral_id for d in self.documents if d.referral_id is not None)

    @property
    def awaiting_referrals(self) -> frozenset[int]:
        return frozenset(d.referral_id for d in self.awaiting)


# An account as a referrals page names it: the columns `full_name` reads.
_NAMED = ("id", "first_name", "last_name")
# The columns the referrals card and the clearance page show of each row (and `ClearanceState` reads): each column
# more is one more to build into the statement and compile on every view. The others are left deferred.
_DOCUMENT_SHOWN = ("id", "referral", "patient", "recorded_by", "recorded_at", "cleared_by")
_EXCEPTION_SHOWN = ("id", "patient", "granted_by", "granted_at")
_INBOUND_SHOWN = ("id", "patient", "provider_name", "received_on", "status")
_OUTBOUND_SHOWN = ("id", "patient", "recipient_kind", "recipient_name", "status")


def _clearance_columns() -> dict:
    """The patient's clearances (counted or not, with the referral they came with) and exceptions, newest first,
    as arrays of rows beside the patient's row."""
    counts = Case(When(_COUNTS, then=Value(True)), default=Value(False))
    documents = (
        _clearances_of(OuterRef("pk"))
        .order_by("-recorded_at", "-id")
        .values(
            row=row_of(
                ClearanceDocument,
                only=_DOCUMENT_SHOWN,
                counts=counts,
                referral=row_of(InboundReferral, "referral__", only=("id", "patient", "status")),
                recorded_by=row_of(User, "recorded_by__", only=_NAMED),
            )
        )
    )
    exceptions = (
        ClearanceException.objects.filter(patient=OuterRef("pk"))
        .order_by("-granted_at", "-id")
        .values(
            row=row_of(ClearanceException, only=_EXCEPTION_SHOWN, granted_by=row_of(User, "granted_by__", only=_NAMED))
        )
    )
    return {"clearance_rows": ArraySubquery(documents), "exception_rows": ArraySubquery(exceptions)}


def _clearance_state_of(found: dict) -> ClearanceState:
    documents = [from_row(ClearanceDocument, row) for row in found["clearance_rows"]]
    return ClearanceState(
        documents=[d for d in documents if d.counts],
        exceptions=[from_row(ClearanceException, row) for row in found["exception_rows"]],
        awaiting=[d for d in documents if not d.counts and d.referral.status in WAITING_STATUSES],
    )


def clearance_state(*, patient) -> ClearanceState:
    """The patient's clearance, in one query."""
    return _clearance_state_of(Patient.objects.filter(pk=patient.pk).values(**_clearance_columns()).get())


def _inbound_of(patient) -> QuerySet[InboundReferral]:
    return InboundReferral.objects.filter(patient=patient).order_by("-received_on", "-pk")


def _outbound_of(patient) -> QuerySet[OutboundReferral]:
    return OutboundReferral.objects.filter(patient=patient).order_by("-created_at")


def patient_inbound(*, patient) -> list[InboundReferral]:
    """The patient's referrals in, newest first, each saying whether a clearance came with it (the API's list)."""
    return list(_inbound_of(patient).annotate(has_clearance=Exists(_clearance_on_file())))


def patient_outbound(*, patient) -> list[OutboundReferral]:
    return list(_outbound_of(patient).select_related("therapist"))


@dataclass(frozen=True)
class PatientReferrals:
    """The chart's referrals card: the clearance and the referrals both ways, newest first."""

    state: ClearanceState
    inbound: list[InboundReferral]
    outbound: list[OutboundReferral]


def patient_referrals(*, patient) -> PatientReferrals:
    """The patient's clearance and referrals, in one query: the rows in the order the API lists them, with the
    columns the card shows (whether a referral brought a clearance, it reads from the clearances beside them)."""
    inbound = _inbound_of(OuterRef("pk")).values(row=row_of(InboundReferral, only=_INBOUND_SHOWN))
    outbound = _outbound_of(OuterRef("pk")).values(row=row_of(OutboundReferral, only=_OUTBOUND_SHOWN))
    found = (
        Patient.objects.filter(pk=patient.pk)
        .values(**_clearance_columns(), inbound_rows=ArraySubquery(inbound), outbound_rows=ArraySubquery(outbound))
        .get()
    )
    return PatientReferrals(
        state=_clearance_state_of(found),
        inbound=[from_row(InboundReferral, row) for row in found["inbound_rows"]],
        outbound=[from_row(OutboundReferral, row) for row in found["outbound_rows"]],
    )


def _log_read(user, action: str, referral, *, allowed: bool = True) -> None:
    access_log_write(actor=user, action=action, subject=referral, patient_id=referral.patient_id, allowed=allowed)


def referrals_read(*, user, action: str, referrals) -> None:
    """Log a list's reads of referrals (each carries its clinical reason), one row each, in one INSERT."""
    access_logs_write(actor=user, action=action, subjects=[(r, r.patient_id) for r in referrals])


def inbound_open(*, user, referral_id) -> InboundReferral:
    """The referral with its clearances, for the referral desk, or the treating psychotherapist of its linked
    patient. A referral the user may not open answers like a missing one."""
    referral = (
        InboundReferral.objects.select_related("patient", "created_by", "decided_by").filter(pk=referral_id).first()
    )
    if referral is None:
        raise NotFound("No such referral.")
    allowed = user.has_perm("referrals.receive_inbound") or (
        referral.patient is not None and user.has_perm("referrals.read_referrals", referral.patient)
    )
    if not allowed:
        _log_read(user, "referral_inbound_view", referral, allowed=False)
        raise NotFound("No such referral.")
    _log_read(user, "referral_inbound_view", referral)
    return referral


def outbound_open(*, user, referral_id) -> OutboundReferral:
    referral = (
        OutboundReferral.objects.select_related("patient", "therapist", "sent_by", "release__version__document")
        .filter(pk=referral_id)
        .first()
    )
    # Its page and letter carry the reason: the referral desk and the treating psychotherapist only.
    if referral is None:
        raise NotFound("No such referral.")
    if not user.has_perm("referrals.track_outbound", referral.patient):
        _log_read(user, "referral_outbound_view", referral, allowed=False)
        raise NotFound("No such referral.")
    _log_read(user, "referral_outbound_view", referral)
    return referral


def clearance_open(*, user, clearance_id) -> ClearanceDocument:
    """A clearance file, to the referral desk and to those who see the chart's referrals card (the clearance of
    a referral, not its reason)."""
    clearance = ClearanceDocument.objects.select_related("referral__patient", "patient").filter(pk=clearance_id).first()
    if clearance is None:
        raise NotFound("No such document.")
    patient = clearance.referral.patient if clearance.referral_id else clearance.patient
    allowed = (clearance.referral_id and user.has_perm("referrals.receive_inbound")) or (
        patient is not None and user.has_perm("referrals.view_patient_referrals", patient)
    )
    patient_id = patient.pk if patient else None
    if not allowed:
        access_log_write(
            actor=user, action="clearance_download", subject=clearance, patient_id=patient_id, allowed=False
        )
        raise NotFound("No such document.")
    access_log_write(actor=user, action="clearance_download", subject=clearance, patient_id=patient_id)
    return clearance


def referral_reason(referral) -> str:
    return decrypt_text(referral.reason_encrypted)


def decline_reason(referral: InboundReferral) -> str:
    return decrypt_text(referral.decline_reason_encrypted)


def exception_reason(exception: ClearanceException) -> str:
    return decrypt_text(exception.reason_encrypted)


def prospect_name_parts(referral: InboundReferral) -> tuple[str, str]:
    """The prospective patient's name as (first names, last name): "Lena Ann Holt" -> ("Lena Ann", "Holt")."""
    given, _, family = " ".join(referral.prospect_name.split()).rpartition(" ")
    return given, family


def patient_matches(*, user, referral: InboundReferral) -> list:
    """Charts that may be the referral's prospective patient (same email, phone, or first and last name), so the
    front desk links the referral to an existing chart instead of registering the person twice."""
    match = Q(pk__in=[])
    if referral.prospect_email:
        match |= Q(email__iexact=referral.prospect_email)
    if referral.prospect_phone:
        match |= Q(phone=referral.prospect_phone)
    given, family = prospect_name_parts(referral)
    if given and family:
        # A chart may carry the middle name in the first name or leave it out.
        firsts = Q(legal_first_name__iexact=given) | Q(legal_first_name__iexact=given.split(" ")[0])
        match |= firsts & Q(legal_last_name__iexact=family)
    return list(patients_visible_to(user=user).filter(match).order_by("legal_last_name", "pk")[:MAX_PATIENT_MATCHES])


def release_choices(*, patient) -> QuerySet:
    """The patient's signed releases of information, newest first."""
    return releases_signed(patient=patient)
