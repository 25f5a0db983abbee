"""Writes for intake: publishing a document's next version, sending a packet, signing a document."""

import datetime as dt
from importlib import import_module

from django.apps import apps as django_apps
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse

from apps.audit.request_context import current_origin
from apps.core import clock
from apps.core.errors import ApplicationError, Conflict, InvalidTransition, NotFound, PermissionDenied, Unprocessable
from apps.core.links import absolute_url
from apps.core.models import ClinicSettings
from apps.core.permissions import permission_require
from apps.notes.content import TemplateDefinitionError, content_clean, template_fields_check
from apps.notifications.outbox import patient_notice_enqueue
from apps.outcomes.services import risk_answer_notify, risk_answers_sweep
from apps.patients.models import Patient, PatientStatus
from apps.patients.names import typed_name_check

from .models import (
    AnswerFlag,
    DocumentVersion,
    IntakeDocument,
    Packet,
    PacketItem,
    PacketSource,
    Signature,
    text_sha256,
)
from .selectors import (
    documents_current,
    patient_signatures_forget,
    releases_ended,
    risk_questions,
    signature_in_force,
    standard_unsigned,
    versions_signed,
)

SHIPPED_DOCUMENTS_MIGRATION = "apps.intake.migrations.0002_seed_intake_documents"
SHIPPED_RISK_ANSWERS_MIGRATION = "apps.intake.migrations.0004_mark_self_harm_risk_answers"
BODY_MAX_LENGTH = 50000
TYPED_NAME_MAX_LENGTH = 200


def intake_documents_ensure() -> None:
    """Make sure the shipped documents exist (the rows data migrations 0002 and 0004 write), for seeders and test
    setups that run after the migration's rows were flushed. Existing documents are left as they are."""
    migration = import_module(SHIPPED_DOCUMENTS_MIGRATION)
    if IntakeDocument.objects.count() < len(migration.DOCUMENTS):
        migration.seed(django_apps, None)
        import_module(SHIPPED_RISK_ANSWERS_MIGRATION).mark(django_apps, None)


@transaction.atomic
def document_publish(*, actor, document: IntakeDocument, body: str, fields: list | None = None) -> DocumentVersion:
    """Publish the next version of a document and make it the one patients sign. Earlier versions and their
    signatures stay as they are (the database refuses changes to either); patients who signed an earlier version
    are asked again for this document only."""
    permission_require(actor, "intake.manage_documents", message="Only an administrator publishes intake documents.")
    document = (
        IntakeDocument.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=document.pk)
    )
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise Unprocessable("The document needs its text.", fields={"body": ["Enter the text patients will read."]})
    if len(body) > BODY_MAX_LENGTH:
        raise Unprocessable("The text is too long.", fields={"body": [f"Keep it under {BODY_MAX_LENGTH} characters."]})
    fields = fields or []
    if document.is_questionnaire:
        try:
            template_fields_check(fields)
        except TemplateDefinitionError as exc:
            raise Unprocessable("The questions need attention.", fields={"fields": [str(exc)]}) from None
    elif fields:
        raise Unprocessable("Only the questionnaire has questions.", fields={"fields": ["Leave this empty."]})
    current = document.current_version
    if current is not None and current.body == body and current.fields == fields:
        raise Unprocessable("Nothing changed: this is the current version's text.", fields={"body": ["Unchanged."]})
    number = (DocumentVersion.objects.filter(document=document).aggregate(n=Max("number"))["n"] or 0) + 1
    version = DocumentVersion.objects.create(
        document=document,
        number=number,
        body=body,
        fields=fields,
        body_sha256=text_sha256(body),
        published_at=clock.now(),
        published_by=actor,
    )
    document.current_version = version
    document.save(update_fields=["current_version", "updated_at"])
    return version


@transaction.atomic
def document_risk_answers_set(*, actor, document: IntakeDocument, risk_answers: dict[str, list[str]]) -> IntakeDocument:
    """Mark which answers to the questionnaire's current questions raise a flag for the patient's psychotherapists
    (`_risk_answers_flag`). Only answers the current version offers can be marked; marks left on questions a new
    version dropped are cleared. It applies to questionnaires signed from now on: answers already signed are not
    flagged again, so changing the marks never floods clinicians with old answers."""
    permission_require(actor, "intake.manage_documents", message="Only an administrator marks risk answers.")
    document = (
        IntakeDocument.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=document.pk)
    )
    if not document.is_questionnaire or document.current_version is None:
        raise Conflict("Only the intake questionnaire's answers can raise a flag.")
    offered = {question.key: question for question in risk_questions(document=document)}
    marks, errors = {}, {}
    for key, values in risk_answers.items():
        question = offered.get(key)
        if question is None:
            errors[key] = ["The current questionnaire has no question with answers to choose from under this key."]
            continue
        values = {str(value) for value in values}
        choices = [value for value, _ in question.choices]
        unknown = sorted(values - set(choices))
        if unknown:
            errors[key] = [f"“{question.label}” does not offer {', '.join(unknown)}: choose among its answers."]
        elif values:
            marks[key] = [value for value in choices if value in values]  # kept in the question's own order
    if errors:
        raise Unprocessable("Some of these answers are not in the current questionnaire.", fields=errors)
    if marks == document.risk_answers:
        raise Unprocessable("Nothing changed: these are the answers that raise a flag now.")
    document.risk_answers = marks
    document.save(update_fields=["risk_answers", "updated_at"])
    return document


def _patient_locked(patient) -> Patient:
    # One packet or signature at a time per patient: what is outstanding is read, then written, under this lock.
    return Patient.objects.select_for_update(of=("self",)).get(pk=patient.pk)


def _packet_create(*, actor, patient, documents: list[IntakeDocument], source: str, series=None) -> Packet:
    packet = Packet.objects.create(patient=patient, sent_by=actor, sent_at=clock.now(), source=source, series=series)
    PacketItem.objects.bulk_create(PacketItem(packet=packet, document=d, patient=patient) for d in documents)
    # A link only: the notice never names a document or carries an answer.
    patient_notice_enqueue(
        patient=patient,
        subject=packet,
        template="intake_packet",
        key=f"intake_packet:{packet.pk}",
        context={"count": len(documents), "portal_url": absolute_url(reverse("portal:intake:packet"))},
    )
    return packet


@transaction.atomic
def packet_send(*, actor, patient, documents: list[IntakeDocument] | None = None) -> Packet:
    """Send a patient a packet of documents (the standard packet unless chosen) to complete in the portal, and
    tell them by a portal notice. Documents they already signed at the current version show as signed."""
    permission_require(actor, "intake.send_packet", message="Only the front desk sends intake packets.")
    patient = _patient_locked(patient)
    current = list(documents_current())
    if documents is None:
        chosen = [d for d in current if d.in_standard_packet]
    else:
        wanted = {d.pk for d in documents}
        chosen = [d for d in current if d.pk in wanted]
        if len(chosen) != len(wanted):
            raise Unprocessable(
                "Some of those documents are retired or have no published text.", fields={"documents": ["Unknown."]}
            )
    if not chosen:
        raise Unprocessable("Choose at least one document to send.", fields={"documents": ["Choose one or more."]})
    return _packet_create(actor=actor, patient=patient, documents=chosen, source=PacketSource.FRONT_DESK)


@transaction.atomic
def packet_send_for_new_series(*, series, actor, clinic: ClinicSettings | None = None) -> Packet | None:
    """When the clinic's setting says so, a newly booked series sends its patient the standard packet: the
    standard documents they have not signed at the current version. None when the setting is off, when nothing is
    left to sign, or when this series already sent one (calling again sends nothing). `clinic` is the settings
    row when the caller has read it already."""
    if not (clinic or ClinicSettings.load()).intake_packet_on_series:
        return None
    patient = _patient_locked(series.patient)
    if Packet.objects.filter(series=series).exists():
        return None
    needed = standard_unsigned(current=list(documents_current()), signed_versions=versions_signed(patient=patient))
    if not needed:
        return None
    return _packet_create(actor=actor, patient=patient, documents=needed, source=PacketSource.SERIES, series=series)


def _typed_name_clean(typed_name: str) -> str:
    name = " ".join((typed_name or "").split())
    if not name:
        raise ApplicationError("Type your full name to sign.", fields={"typed_name": ["Type your full name."]})
    if len(name) > TYPED_NAME_MAX_LENGTH:
        raise ApplicationError("That name is too long.", fields={"typed_name": ["Too long."]})
    return name


@transaction.atomic
def document_sign(
    *, actor, patient, version: DocumentVersion, shown_sha256: str, typed_name: str, answers: dict | None = None
) -> tuple[Signature, bool]:
    """The patient signs the version of a document they were shown (its SHA-256 `shown_sha256`), by typing their
    name as the chart has it (`typed_name_check`: anyone else's name signs nothing, 422); the questionnaire's
    answers are signed with it. Returns (signature, created): signing the same version again returns the signature
    that stands, so a double submit signs once. Only a release of information past the clinic's term (no longer
    counted, `_signatures_current`) is signed again, as its next renewal of that version. A version that is no
    longer current is refused (409): the patient reads the new one. A risk answer (the document's `risk_answers`)
    is flagged for the patient's psychotherapists in the same transaction."""
    permission_require(actor, "intake.sign", patient, message="You may sign only your own documents.")
    _typed_name_clean(typed_name)
    name = typed_name_check(patient=patient, typed_name=typed_name)
    patient = _patient_locked(patient)
    document = IntakeDocument.objects.get(pk=version.document_id)
    if not PacketItem.objects.filter(patient=patient, document=document).exists():
        raise NotFound("No such document to sign.")
    if not document.is_active or document.current_version_id != version.pk:
        raise Conflict("This document was updated after you opened it. Please read the new version and sign it.")
    if shown_sha256 != version.body_sha256:
        raise Conflict("The text you signed is not the text of this version. Please reload the page and sign again.")
    latest = Signature.objects.filter(patient=patient, version=version).order_by("-renewal").first()
    if latest is not None and signature_in_force(signature=latest):
        return latest, False
    renewal = 0 if latest is None else latest.renewal + 1
    cleaned = content_clean(fields=version.fields, content=answers or {}, complete=True) if version.fields else {}
    packet = Packet.objects.filter(patient=patient, items__document=document).order_by("-sent_at", "-id").first()
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                patient=patient,
                version=version,
                document=document,
                packet=packet,
                signed_by=actor,
                typed_name=name,
                text_sha256=shown_sha256,
                answers=cleaned,
                signed_at=clock.now(),
                ip_address=current_origin().ip_address,
                renewal=renewal,
            )
    except IntegrityError:  # the patient lock makes this unlikely; the unique constraint makes it harmless
        return Signature.objects.get(patient=patient, version=version, renewal=renewal), False
    patient_signatures_forget(patient_id=patient.pk)
    _risk_answers_flag(signature=signature, document=document)
    return signature, True


def _risk_answers_flag(*, signature: Signature, document: IntakeDocument) -> AnswerFlag | None:
    """Flag a signed questionnaire with a risk answer (the document's `risk_answers`) and tell the patient's
    psychotherapists, as a PHQ-9 item 9 answer is told: a link, never the answer."""
    questions = [
        key for key, risky in document.risk_answers.items() if set(_as_list(signature.answers.get(key))) & set(risky)
    ]
    if not questions:
        return None
    flag = AnswerFlag.objects.create(
        signature=signature, patient=signature.patient, questions=questions, raised_at=signature.signed_at
    )
    risk_answer_notify(patient=signature.patient, subject=flag, perm="intake.review_flag", now=signature.signed_at)
    return flag


def _as_list(answer) -> list:
    return answer if isinstance(answer, list) else [answer]


def open_answer_flags_notify(*, patient_id: int) -> None:
    """Tell the psychotherapists treating the patient now of each risk answer nobody has reviewed yet, as
    `outcomes.services.open_flags_notify` does for PHQ-9 answers: once per answer and clinician, a link only."""
    risk_answers_sweep(answers=AnswerFlag.objects.filter(patient_id=patient_id, reviewed_at__isnull=True))


# How long after a release ended the daily job still tells the patient: a missed run or two is caught up, and a
# shorter term set by the clinic does not mail everyone whose release ended long ago.
RELEASE_ENDED_NOTICE_WITHIN = dt.timedelta(days=7)


@transaction.atomic
def release_renewals_notify() -> int:
    """Tell each patient in care with a portal account whose release of information has ended (`releases_ended`)
    within the last week that it needs signing again: a notice with a link to their forms, never a document's name
    or words, keyed on the ended signature so the daily run tells them once per ending. Returns how many were told.
    Referrals out wait for the renewal (`referrals.services.outbound_send`); the chart's referrals card says so."""
    now = clock.now()
    term = dt.timedelta(days=ClinicSettings.load().release_valid_days)
    ended = (
        releases_ended()
        .filter(
            patient__status=PatientStatus.ACTIVE,
            patient__user__isnull=False,
            signed_at__gt=now - term - RELEASE_ENDED_NOTICE_WITHIN,
        )
        .select_related("patient")
        .order_by("pk")
    )
    portal_url = absolute_url(reverse("portal:intake:packet"))
    told = 0
    for signature in ended:
        queued = patient_notice_enqueue(
            patient=signature.patient,
            subject=signature,
            template="release_renewal_due",
            key=f"signature:{signature.pk}:release_renewal_due",
            context={"portal_url": portal_url},
        )
        told += bool(queued)
    return told


def open_answer_flags_sweep() -> int:
    """Tell the psychotherapists treating each patient of every risk answer nobody has reviewed that they were not
    told of, as `outcomes.services.open_flags_sweep` does for PHQ-9 answers (beat, every 10 minutes)."""
    return risk_answers_sweep(answers=AnswerFlag.objects.filter(reviewed_at__isnull=True))


@transaction.atomic
def answer_flag_review(*, actor, flag: AnswerFlag) -> AnswerFlag:
    """One of the patient's psychotherapists marks a risk answer reviewed; it is reviewed once."""
    flag = AnswerFlag.objects.select_for_update().select_related("patient").get(pk=flag.pk)
    if not actor.has_perm("intake.review_flag", flag):
        raise PermissionDenied("Only the patient's psychotherapist reviews this.")
    if flag.reviewed_at is not None:
        raise InvalidTransition("Nothing to review here.")
    flag.reviewed_at = clock.now()
    flag.reviewed_by = actor
    flag.save(update_fields=["reviewed_at", "reviewed_by"])
    return flag
