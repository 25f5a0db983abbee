"""No one stranded: the daily check that puts anyone left waiting with no next step on the front desk's work queue,
and the front desk resolving those items.

Waiting with no next step means: on a program's waitlist or interest list for more than the clinic's
`stranded_after_days`, and in those days no seat offer, no notice about their place (status notices and the
alternatives they carry all go through the outbox about the enrollment) and no work-queue item opened or resolved.
"""

import datetime as dt

from django.db import IntegrityError, transaction

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import InvalidTransition, Unprocessable
from apps.core.models import ClinicSettings

from ..models import StrandedEnrollment
from ..selectors import stranded_enrollments


def stranded_cutoff(*, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=ClinicSettings.load().stranded_after_days)


def stranded_enrollments_queue(*, now: dt.datetime | None = None) -> int:
    """Open a work-queue item for everyone waiting with no next step. Running it again adds nothing: an enrollment
    has at most one open item (a unique constraint, which also settles two checks running at once). Returns how
    many items were opened."""
    now = now or clock.now()
    cutoff = stranded_cutoff(now=now)
    days = ClinicSettings.load().stranded_after_days
    opened = 0
    for enrollment in stranded_enrollments(cutoff=cutoff).select_related("program"):
        reason = (
            f"On the {enrollment.program.get_stage_display().lower()} program's list for more than {days} days "
            "with no offer, status notice or alternative."
        )
        try:
            with transaction.atomic():
                StrandedEnrollment.objects.create(enrollment=enrollment, reason=reason)
        except IntegrityError:
            continue  # opened by a concurrent check a moment ago
        opened += 1
    return opened


@transaction.atomic
def stranded_item_resolve(*, item: StrandedEnrollment, note: str, actor) -> StrandedEnrollment:
    """Close a work-queue item with what was done for the person (called them, offered a place, …)."""
    note = (note or "").strip()
    if not note:
        raise Unprocessable("Say what was done for this person.", fields={"note": ["Required."]})
    item = StrandedEnrollment.objects.select_for_update().get(pk=item.pk)
    if item.resolved_at is not None:
        raise InvalidTransition("This item is already resolved.")
    item.resolved_at = clock.now()
    item.resolved_by = actor
    item.resolution_note = note[:500]
    item.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    access_log_write(
        actor=actor, action="stranded_item_resolve", subject=item, detail={"enrollment": item.enrollment_id}
    )
    return item
