"""Reads for intake: the documents and their current versions, what each patient was asked for and signed, who
has documents outstanding, and which sessions start with forms outstanding."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from apps.accounts.roles import Role
from apps.accounts.rules import is_psychotherapist
from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import NotFound
from apps.core.models import ClinicSettings
from apps.core.request_memo import memo_forget, memo_read
from apps.notes.editor import field_rows
from apps.patients.models import Patient
from apps.patients.selectors import portal_account, treating_patients_q

from .models import AnswerFlag, DocumentKind, DocumentVersion, IntakeDocument, Packet, PacketItem, Signature


@dataclass(frozen=True)
class PacketNotice:
    """What the front desk is told once a packet is made: `text`, whether the patient must still be invited to the
    portal (`invite_needed`) before they can sign, and whether the forms cannot reach them at all (`undelivered`)."""

    text: str
    invite_needed: bool = False
    undelivered: bool = False


# A closed portal account is not invited again (`portal_invitable`) and cannot reset its password, so nothing the
# desk does here reaches the patient: forms are signed on paper instead.
CLOSED_ACCOUNT_ADVICE = "Give them paper copies to sign at the clinic."


def forms_undeliverable(patient: Patient) -> bool:
    """Whether forms sent to the patient cannot reach them: their portal account is closed. What the packet's notice
    and the patient page's intake card both ask."""
    return portal_account(patient) == "closed"


def packet_notice(*, packet: Packet, patient: Patient) -> PacketNotice:
    """Forms are signed in the portal, so a packet reaches the patient only once they sign in: for a chart never
    invited, or an invitation not yet accepted, the forms are ready (their notice waits) and the desk is told what
    the patient still needs, never that the forms were sent; for a closed account, that they were not delivered and
    what to do instead."""
    count = packet.items.count()
    forms = f"{count} form{'s' if count != 1 else ''}"
    if forms_undeliverable(patient):
        return PacketNotice(
            f"{forms} {'were' if count != 1 else 'was'} not delivered to {patient.display_name}: their portal account "
            f"is closed, so they cannot sign in to sign {'them' if count != 1 else 'it'}. {CLOSED_ACCOUNT_ADVICE}",
            undelivered=True,
        )
    account = portal_account(patient)
    if account == "none":
        return PacketNotice(
            f"{forms} {'are' if count != 1 else 'is'} ready for {patient.display_name}; they can sign them once "
            "invited to the portal.",
            invite_needed=True,
        )
    if account == "invited":
        return PacketNotice(
            f"{forms} {'are' if count != 1 else 'is'} ready for {patient.display_name}; they can sign them once they "
            "accept their portal invitation."
        )
    return PacketNotice(f"Sent {forms} to {patient.display_name}.")


def documents_current(*, sent_to=None) -> QuerySet[IntakeDocument]:
    """The documents patients are asked for now, each with its current version; with `sent_to` (a patient), each
    also says whether it was sent to them in a packet (`sent`), in the same query."""
    documents = IntakeDocument.objects.filter(is_active=True, current_version__isnull=False).select_related(
        "current_version"
    )
    if sent_to is None:
        return documents
    return documents.annotate(sent=Exists(PacketItem.objects.filter(patient=sent_to, document=OuterRef("pk"))))


def documents_all() -> QuerySet[IntakeDocument]:
    return IntakeDocument.objects.select_related("current_version").annotate(version_count=Count("versions"))


def document_versions(*, document) -> QuerySet[DocumentVersion]:
    return DocumentVersion.objects.filter(document=document).select_related("published_by").order_by("-number")


def _signatures_current() -> QuerySet[Signature]:
    """Signatures that count: of their document's current version, of a document still in use, and for a release
    of information within the clinic's term for a release (its text states "This permission ends one year after
    you sign it"). A signature of an older version (the words changed since), of a retired document or of a release
    past its term asks for, and stands for, nothing: the patient is asked to sign again."""
    return Signature.objects.filter(document__is_active=True, version_id=F("document__current_version_id")).exclude(
        _release_past_term()
    )


def _release_past_term() -> Q:
    """A release of information signed longer ago than the clinic's term for a release. The term is read from the
    settings row inside the query (its default while none is saved, as `ClinicSettings.load` gives), so the pages
    that show what is outstanding (the portal home among them) spend no read of their own on it."""
    field = ClinicSettings._meta.get_field("release_valid_days")
    days = Coalesce(Subquery(ClinicSettings.objects.filter(id=1).values(field.name)), Value(field.default))
    term = ExpressionWrapper(days * Value(dt.timedelta(days=1)), output_field=DurationField())
    return Q(document__kind=DocumentKind.RELEASE_OF_INFORMATION, signed_at__lte=Value(clock.now()) - term)


def signature_in_force(*, signature: Signature) -> bool:
    """Whether the signature still stands for its document (`_signatures_current`)."""
    return _signatures_current().filter(pk=signature.pk).exists()


def versions_signed(*, patient) -> set[int]:
    """The versions the patient has a signature of that still counts (`_signatures_current`)."""
    return set(_signatures_current().filter(patient=patient).values_list("version_id", flat=True))


def _items_outstanding(*, patient_ref) -> QuerySet[PacketItem]:
    """Documents the patient was sent, still asked for, without a signature of their current version."""
    signed_current = _signatures_current().filter(
        patient_id=OuterRef("patient_id"), document_id=OuterRef("document_id")
    )
    return PacketItem.objects.filter(patient_id=patient_ref, document__is_active=True).exclude(Exists(signed_current))


@dataclass(frozen=True)
class DocumentStatus:
    document: IntakeDocument
    signature: Signature | None  # the newest signature of any version
    is_signed: bool  # signed, and the signature still counts (`_signatures_current`)
    asked: bool  # sent in a packet

    @property
    def needs_new_signature(self) -> bool:
        """Signed at an earlier version: the words changed since."""
        return self.signature is not None and self.signature.version_id != self.document.current_version_id

    @property
    def needs_renewal(self) -> bool:
        """Signed at the current version, but a release whose term has ended: the same words are signed again."""
        return self.signature is not None and not self.is_signed and not self.needs_new_signature


def _signatures_key(patient_id: int) -> str:
    return f"intake.signatures:{patient_id}"


def patient_signatures(*, patient) -> list[Signature]:
    """The patient's signatures, oldest first, each with whether it counts (`counts`, `_signatures_current`) and its
    version and document: read once per request, so the intake card and the referrals card's ended release
    (`release_ended`) share one read."""
    return memo_read(
        _signatures_key(patient.pk),
        lambda: list(
            Signature.objects.filter(patient=patient)
            .annotate(counts=Exists(_signatures_current().filter(pk=OuterRef("pk"))))
            .select_related("version", "document")
            .order_by("signed_at", "id")
        ),
    )


def patient_signatures_forget(*, patient_id: int) -> None:
    """A new signature: the rest of the request reads the patient's signatures again."""
    memo_forget(_signatures_key(patient_id))


def patient_documents(*, patient, current: list[IntakeDocument] | None = None) -> list[DocumentStatus]:
    """Each document the patient was sent or has signed, in the clinic's order: signed (a signature that counts,
    `_signatures_current`), or outstanding (never signed, signed at an older version, or a release past its term).
    The patient's signatures are read once (`patient_signatures`) whatever the number of documents, and the
    documents with what was sent (`documents_current(sent_to=patient)`) once unless the caller passes what it read
    so (`current`)."""
    if current is None:
        current = list(documents_current(sent_to=patient))
    newest: dict[int, Signature] = {
        signature.document_id: signature for signature in patient_signatures(patient=patient)
    }
    rows = []
    for document in current:
        if not document.sent and document.pk not in newest:
            continue
        signature = newest.get(document.pk)
        rows.append(
            DocumentStatus(
                document=document,
                signature=signature,
                is_signed=signature is not None and signature.counts,
                asked=document.sent,
            )
        )
    return rows


@dataclass(frozen=True)
class FormsAsked:
    """What the portal home's card tells: how many documents the patient was sent that are still in use, and how
    many of those they have yet to sign (no signature that counts, `_signatures_current`)."""

    sent: int
    outstanding: int


def patient_forms_asked(*, patient) -> FormsAsked:
    """`patient_documents`' sent rows as two counts, in one query: each document still in use that was sent to the
    patient, with whether they hold a signature of it that counts (`_signatures_current`, the same rule as the
    forms page). The card reads no document text and no signature rows."""
    signed = Exists(_signatures_current().filter(patient=patient, document=OuterRef("pk")))
    counted = (
        IntakeDocument.objects.filter(is_active=True, current_version__isnull=False)
        .filter(Exists(PacketItem.objects.filter(patient=patient, document=OuterRef("pk"))))
        .annotate(signed=signed)
        .order_by()
        .aggregate(sent=Count("pk"), outstanding=Count("pk", filter=Q(signed=False)))
    )
    return FormsAsked(**counted)


def standard_unsigned(*, current: list[IntakeDocument], signed_versions: set[int]) -> list[IntakeDocument]:
    """The standard packet as it stands for one patient: its documents they have not signed at the current version
    (`signed_versions`, the versions they hold a signature of that counts, `versions_signed`). What a new series
    sends, and what the front desk's form offers ticked: a form signed already is not asked again unless its text
    changed or, for a release, its term ended."""
    return [d for d in current if d.in_standard_packet and d.current_version_id not in signed_versions]


def patient_outstanding(*, patient) -> list[IntakeDocument]:
    return [row.document for row in patient_documents(patient=patient) if row.asked and not row.is_signed]


def patients_with_outstanding() -> QuerySet[Patient]:
    """Patients with at least one document outstanding, annotated with how many (`documents_outstanding`) and
    since when (`waiting_since`, the oldest packet asking for one), in one query; the longest waiting first."""
    per_patient = _items_outstanding(patient_ref=OuterRef("pk")).order_by().values("patient_id")
    return (
        Patient.objects.filter(Exists(_items_outstanding(patient_ref=OuterRef("pk"))))
        .annotate(
            documents_outstanding=Subquery(per_patient.annotate(n=Count("document_id", distinct=True)).values("n")),
            waiting_since=Subquery(per_patient.annotate(at=Min("packet__sent_at")).values("at")),
        )
        .select_related("primary_therapist")
        .order_by("waiting_since", "pk")
    )


def with_forms_outstanding(rows: QuerySet) -> QuerySet:
    """Sessions (rows with `patient_id` and `start`) annotated with `forms_outstanding`: the patient was sent a
    document and had not signed its current version by the session's start. In the rows' own query."""
    outstanding = PacketItem.objects.filter(
        patient_id=OuterRef("patient_id"), document__is_active=True, packet__sent_at__lt=OuterRef("start")
    ).exclude(
        Exists(
            _signatures_current().filter(
                patient_id=OuterRef("patient_id"),
                document_id=OuterRef("document_id"),
                signed_at__lte=OuterRef(OuterRef("start")),
            )
        )
    )
    return rows.annotate(forms_outstanding=Exists(outstanding))


def packets_of(*, patient) -> QuerySet[Packet]:
    return (
        Packet.objects.filter(patient=patient)
        .select_related("sent_by")
        .prefetch_related("items__document__current_version")
    )


def packets_visible_to(*, user) -> QuerySet[Packet]:
    """Packets a user may list: every packet for the front desk and admins, their patients' for a psychotherapist
    (intake answers are psychotherapy content: a massage and bodywork provider sees none), their own for a patient,
    none for anyone else."""
    packets = Packet.objects.select_related("patient", "sent_by").prefetch_related("items__document")
    if user.has_perm("intake.send_packet"):
        return packets
    if is_psychotherapist(user):
        return packets.filter(patient__in=Patient.objects.filter(treating_patients_q(therapist=user)))
    if user.has_role(Role.PATIENT):
        return packets.filter(patient__user=user)
    return packets.none()


def signature_get(*, pk) -> Signature | None:
    return Signature.objects.select_related("version__document", "patient", "signed_by").filter(pk=pk).first()


def signature_get_for(*, user, pk) -> Signature:
    """A signed document `user` may see (they may see the patient's packets: the patient's own in the portal).
    A missing one, or one refused, answers NotFound alike; a refusal writes one refused `intake.view_signature`
    row."""
    signature = signature_get(pk=pk)
    if signature is None:
        raise NotFound("No such signed document.")
    if not user.has_perm("intake.view_packets", signature.patient):
        access_log_write(
            actor=user,
            action="intake.view_signature",
            subject=signature,
            patient_id=signature.patient_id,
            allowed=False,
        )
        raise NotFound("No such signed document.")
    return signature


def signature_open(*, user, pk) -> Signature:
    """A signed document for the staff page, read by someone who may see the patient's packets: one
    `intake.view_signature` row, allowed or refused. A missing one, or one refused, answers NotFound alike; the
    patient's own answers it too (they read theirs in the portal), and that is no refusal."""
    signature = signature_get_for(user=user, pk=pk)
    if not user.is_clinic_staff:
        raise NotFound("No such signed document.")
    access_log_write(actor=user, action="intake.view_signature", subject=signature, patient_id=signature.patient_id)
    return signature


def signature_context(*, signature: Signature, user) -> dict:
    """A signed document as its pages show it: the exact words signed, and the answers in the questions' order
    to those who may read them (`answers_withheld` tells the others there are some)."""
    version = signature.version
    may_read = user.has_perm("intake.view_answers", signature.patient)
    rows = field_rows(fields=version.fields, content=signature.answers) if version.fields and may_read else []
    return {
        "signature": signature,
        "version": version,
        "document": version.document,
        "rows": rows,
        "answers_withheld": bool(version.fields) and not may_read,
    }


def _releases_in_force() -> QuerySet[Signature]:
    """Releases of information that permit sharing now: signatures that count (`_signatures_current`), so signed at
    the release's current version (the words the patient agreed to are the clinic's words today) and within the
    clinic's term for a release."""
    return _signatures_current().filter(document__kind=DocumentKind.RELEASE_OF_INFORMATION)


def releases_signed(*, patient) -> QuerySet[Signature]:
    """The patient's releases of information in force, newest first (what an outbound referral is sent under)."""
    return (
        _releases_in_force().filter(patient=patient).select_related("version__document").order_by("-signed_at", "-id")
    )


def releases_signed_by(*, patient_ref) -> QuerySet[Signature]:
    """Releases in force of the patient at OuterRef(`patient_ref`), for an Exists() over rows that name a patient."""
    return _releases_in_force().filter(patient_id=OuterRef(patient_ref))


def releases_ended() -> QuerySet[Signature]:
    """Releases of information that have ended and were not renewed: a signature of a release's current version past
    the clinic's term (`_release_past_term`), the patient's latest of that document, with no release of theirs in
    force. The patient is asked to sign it again (`services.release_renewals_notify`), and the chart's referrals card
    says so (`release_ended`)."""
    later = Signature.objects.filter(
        patient_id=OuterRef("patient_id"), document_id=OuterRef("document_id"), signed_at__gt=OuterRef("signed_at")
    )
    return (
        Signature.objects.filter(
            document__kind=DocumentKind.RELEASE_OF_INFORMATION,
            document__is_active=True,
            version_id=F("document__current_version_id"),
        )
        .filter(_release_past_term())
        .exclude(Exists(later))
        .exclude(Exists(releases_signed_by(patient_ref="patient_id")))
    )


@dataclass(frozen=True)
class ReleaseEnded:
    signature: Signature
    ended_at: dt.datetime


def release_ended(*, patient, clinic: ClinicSettings | None = None) -> ReleaseEnded | None:
    """The patient's release of information that has ended and needs signing again (`releases_ended`), with when
    it ended, or None. Found among the signatures the request read already (`patient_signatures`): a signature of
    a release's current version that no longer counts is past its term; the latest of its document, and none of
    the patient's releases counting."""
    signatures = patient_signatures(patient=patient)
    releases = [s for s in signatures if s.document.kind == DocumentKind.RELEASE_OF_INFORMATION]
    if any(s.counts for s in releases):
        return None
    latest: dict[int, Signature] = {s.document_id: s for s in releases}  # oldest first: the last one stays
    ended = [
        s
        for s in latest.values()
        if s.document.is_active and s.version_id == s.document.current_version_id and not s.counts
    ]
    if not ended:
        return None
    signature = max(ended, key=lambda s: (s.signed_at, s.pk))
    term = dt.timedelta(days=(clinic or ClinicSettings.load()).release_valid_days)
    return ReleaseEnded(signature=signature, ended_at=signature.signed_at + term)


def answer_flags_open(*, patient) -> QuerySet[AnswerFlag]:
    """The patient's signed questionnaires with a risk answer nobody has reviewed yet, with the questions' labels."""
    return AnswerFlag.objects.filter(patient=patient, reviewed_at__isnull=True).select_related("signature__version")


def patients_with_open_answer_flags() -> QuerySet:
    """The ids of patients with a risk answer nobody has reviewed yet (a subquery)."""
    return AnswerFlag.objects.filter(reviewed_at__isnull=True).values("patient_id")


# The kinds of question whose answers are picked from a list: only those can be marked as risk answers.
CHOICE_TYPES = frozenset({"choice", "multichoice"})


@dataclass(frozen=True)
class RiskQuestion:
    """One of the questionnaire's current questions with answers to choose from, and which of them raise a flag."""

    key: str
    label: str
    choices: list[tuple[str, str]]
    marked: list[str]

    @property
    def marked_labels(self) -> list[str]:
        return [label for value, label in self.choices if value in self.marked]


def risk_questions(*, document: IntakeDocument) -> list[RiskQuestion]:
    """The current version's questions with answers to choose from, in the questionnaire's order, each with the
    answers marked as raising a flag."""
    version = document.current_version
    if version is None:
        return []
    return [
        RiskQuestion(
            key=field["key"],
            label=field["label"],
            choices=[(str(value), str(label)) for value, label in field["choices"]],
            marked=list(document.risk_answers.get(field["key"], [])),
        )
        for field in version.fields
        if field.get("type") in CHOICE_TYPES
    ]


def risk_answers_not_asked(*, document: IntakeDocument) -> list[tuple[str, list[str]]]:
    """Marked answers the current version no longer offers (a question or a choice a new version dropped), as the
    latest version that asked them worded them: nobody can give them now, so they raise nothing until a version
    asks them again, and saving the marks clears them."""
    offered = {question.key: {value for value, _ in question.choices} for question in risk_questions(document=document)}
    gone = {
        key: missing
        for key, values in document.risk_answers.items()
        if (missing := [value for value in values if value not in offered.get(key, set())])
    }
    if not gone:
        return []
    wording: dict[str, tuple[str, dict[str, str]]] = {}
    versions = DocumentVersion.objects.filter(document=document).order_by("-number").only("fields")
    for version in versions:  # newest first: the latest words win
        for field in version.fields:
            if field.get("key") in gone and field["key"] not in wording:
                wording[field["key"]] = (field["label"], {str(v): str(label) for v, label in field.get("choices", [])})
    not_asked = []
    for key, values in gone.items():
        label, choices = wording.get(key, (key, {}))
        not_asked.append((label, [choices.get(value, value) for value in values]))
    return not_asked
