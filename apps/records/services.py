"""Every write about record exports: asking for a record PDF, making it (in a worker), and deleting it once it has
been kept long enough. The PDF is the one `documents.record_pdf` renders from `selectors.patient_record`, the same
the request once made itself."""

import datetime as dt
import functools
import logging
import traceback

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.core import clock
from apps.core.encryption import encrypt_bytes
from apps.core.errors import PermissionDenied
from apps.core.links import absolute_url
from apps.core.uploads import unguessable_upload_path
from apps.notifications.outbox import patient_notice_enqueue

from .models import ExportAudience, ExportFormat, ExportStatus, RecordExport

logger = logging.getLogger(__name__)

# What the asker reads when a PDF could not be made: never the exception, which may quote the record.
FAILED_MESSAGE = "The PDF could not be prepared. Ask for it again; if it fails again, please call the clinic."
STALE_MESSAGE = "The PDF took too long to prepare. Ask for it again; if it fails again, please call the clinic."


def _may_ask(actor, patient, audience: str) -> bool:
    if audience == ExportAudience.PATIENT:
        return actor.has_perm("records.download_own", patient) and patient.user_id == actor.pk
    return actor.has_perm("records.export_for_patient", patient)


def record_export_request(*, actor, patient, audience: str, fmt: str = ExportFormat.PDF) -> tuple[RecordExport, bool]:
    """Ask for `patient`'s record as a file made in the background; returns the export and whether this call
    queued it. While one for the same patient, audience and format is being prepared, that one is returned and
    nothing is queued again: the database's `one_record_export_being_prepared` decides between requests arriving
    together. The task carries the export's id only."""
    if not _may_ask(actor, patient, audience):
        raise PermissionDenied("You cannot ask for this record.")
    try:
        with transaction.atomic():
            export = RecordExport.objects.create(
                patient=patient, requested_by=actor, audience=audience, format=fmt, requested_at=clock.now()
            )
            transaction.on_commit(functools.partial(_build_enqueue, export.pk), robust=True)
    except IntegrityError:
        waiting = RecordExport.objects.filter(
            patient=patient, audience=audience, format=fmt, status=ExportStatus.QUEUED
        ).first()
        if waiting is None:  # the one being prepared finished in between: ask once more
            return record_export_request(actor=actor, patient=patient, audience=audience, fmt=fmt)
        return waiting, False
    return export, True


def _build_enqueue(export_id: int) -> None:
    from . import tasks

    tasks.record_export_build.delay(export_id)


def record_export_build(*, export_id: int) -> RecordExport | None:
    """Make the file of a queued export and keep it privately until the keeping time ends; a failure marks it
    failed with a plain message, so it can be asked for again. An export no longer queued (made already by an
    earlier run of the task, or called failed) is left as it is: a task delivered twice makes one file."""
    from .documents import record_pdf
    from .selectors import patient_record

    export = RecordExport.objects.select_related("patient", "requested_by").filter(pk=export_id).first()
    if export is None or export.status != ExportStatus.QUEUED:
        return export
    try:
        # Outside any transaction: the layout takes minutes, and the reads it logs are reads that happened.
        record = patient_record(user=export.requested_by, patient=export.patient)
        body = record_pdf(record)
    except Exception as exc:
        # Where it failed and the kind of error, never its message: that may quote the record.
        where = "".join(traceback.format_tb(exc.__traceback__))
        logger.error("Record export %s could not be prepared: %s\n%s", export.pk, type(exc).__name__, where)
        return record_export_fail(export_id=export.pk, message=FAILED_MESSAGE)
    return _record_export_ready(export_id=export.pk, body=body, session_notes=len(record["session_notes"]))


@transaction.atomic
def _record_export_ready(*, export_id: int, body: bytes, session_notes: int) -> RecordExport:
    # Locked, so a second run finishing at the same moment finds it ready and keeps no second file.
    export = RecordExport.objects.select_for_update().select_related("patient").get(pk=export_id)
    if export.status != ExportStatus.QUEUED:
        return export
    now = clock.now()
    name = unguessable_upload_path("records", f"record.{export.format}")
    # Encrypted as the notes it quotes are: the copy on disk is no easier to read than the database.
    export.file.save(name, ContentFile(encrypt_bytes(body)), save=False)
    export.status = ExportStatus.READY
    export.finished_at = now
    export.expires_at = now + dt.timedelta(days=settings.CLINIC_RECORD_EXPORT_KEEP_DAYS)
    export.size = len(body)
    export.session_notes = session_notes
    try:
        export.save(update_fields=["file", "status", "finished_at", "expires_at", "size", "session_notes"])
    except Exception:
        export.file.storage.delete(export.file.name)  # no row names it: no file is left behind
        raise
    if export.audience == ExportAudience.PATIENT:
        # Only that it is ready, and where: nothing from the record leaves the clinic in an email.
        patient_notice_enqueue(
            patient=export.patient,
            subject=export,
            template="record_ready",
            key=f"record_export:{export.pk}:ready",
            context={"portal_url": absolute_url(reverse("portal:records:home"))},
            sms=False,
        )
    return export


@transaction.atomic
def record_export_fail(*, export_id: int, message: str) -> RecordExport:
    """Mark a queued export failed with `message` (plain words for the asker); one no longer queued is left."""
    export = RecordExport.objects.select_for_update().get(pk=export_id)
    if export.status == ExportStatus.QUEUED:
        export.status = ExportStatus.FAILED
        export.finished_at = clock.now()
        export.failure = message
        export.save(update_fields=["status", "finished_at", "failure"])
    return export


def record_exports_expire() -> dict:
    """Beat, hourly: delete the files of ready exports past their keeping time (the row stays, as expired, for the
    history of who asked), and call failed the requests no worker finished in time, so they can be asked again."""
    now = clock.now()
    expired = 0
    for export_id in RecordExport.objects.filter(status=ExportStatus.READY, expires_at__lte=now).values_list(
        "pk", flat=True
    ):
        expired += _record_export_expire(export_id=export_id, now=now)
    stale_before = now - dt.timedelta(minutes=settings.CLINIC_RECORD_EXPORT_STALE_MINUTES)
    stale = RecordExport.objects.filter(status=ExportStatus.QUEUED, requested_at__lt=stale_before)
    failed = [record_export_fail(export_id=pk, message=STALE_MESSAGE) for pk in stale.values_list("pk", flat=True)]
    return {"expired": expired, "failed": sum(export.failure == STALE_MESSAGE for export in failed)}


@transaction.atomic
def _record_export_expire(*, export_id: int, now: dt.datetime) -> int:
    export = RecordExport.objects.select_for_update().get(pk=export_id)
    if export.status != ExportStatus.READY or export.expires_at > now:
        return 0
    name = export.file.name
    export.status = ExportStatus.EXPIRED
    export.file = ""
    export.save(update_fields=["status", "file"])
    # The bytes go once the row says they are gone: a rollback leaves a ready row with its file.
    storage = RecordExport._meta.get_field("file").storage
    transaction.on_commit(functools.partial(storage.delete, name))
    return 1
