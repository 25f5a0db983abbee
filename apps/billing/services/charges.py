"""Posting charges: a session's outcome (completed, late-cancelled, no-show) and a group meeting's attendance, each at
the patient's class and once only; a session a package covers posts a zero-amount line instead.
"""

import logging

from django.db import IntegrityError, transaction

from apps.core.errors import Unprocessable

from .. import pricing
from ..models import Charge, ChargeKind
from .common import appointment_charge, patient_lock
from .packages import package_session_cover

logger = logging.getLogger(__name__)


OUTCOME_KINDS = {
    "completed": ChargeKind.SESSION,
    "late_cancelled": ChargeKind.LATE_CANCEL,
    "no_show": ChargeKind.NO_SHOW,
}


def _posted(*, appointment, patient_id: int, kind: str) -> Charge | None:
    return Charge.objects.filter(appointment=appointment, patient_id=patient_id, kind=kind).first()


def _post_charge(
    *, actor, patient, appointment, kind: str, description: str, patient_locked: bool = False
) -> Charge | None:
    """Post one charge per (appointment, patient, kind), the caller having found none posted yet. With
    `patient_locked` the caller looked under the patient's lock, which every outcome charge takes before looking, so
    none can have been posted since; otherwise the unique constraint keeps one when a concurrent transaction posts it
    first."""
    on = pricing.session_date(appointment)
    try:
        price = pricing.session_outcome_price(
            patient=patient, appointment=appointment, policy_fee=kind in (ChargeKind.LATE_CANCEL, ChargeKind.NO_SHOW)
        )
    except Unprocessable as exc:
        # A service without a fee (or a clinic without a fee configuration) is not billable; the session itself
        # must still be recorded, so the outcome is not refused.
        logger.warning("Appointment %s not charged: %s", appointment.pk, exc.message)
        return None
    charge = appointment_charge(
        actor=actor,
        appointment=appointment,
        patient=patient,
        kind=kind,
        service_date=on,
        price=price,
        description=description,
    )
    if patient_locked:
        charge.save()
        return charge
    try:
        with transaction.atomic():
            charge.save()
    except IntegrityError:
        # Another transaction posted it between our check and insert; the constraint keeps one.
        return Charge.objects.get(appointment=appointment, patient=patient, kind=kind)
    return charge


# No savepoint of its own: it runs as a reaction inside the transaction that recorded the outcome, which a refused
# charge rolls back whole, and a savepoint would cost two statements on every charged session.
@transaction.atomic(savepoint=False)
def charge_for_appointment_outcome(*, appointment, actor) -> Charge | None:
    """Charge a completed session, a late cancellation or a no-show at the patient's class, once per
    appointment and outcome, unless an active package of the session's service covers it (then a zero-amount
    line says so). Other statuses, and group meetings (charged per attendee), charge nothing."""
    kind = OUTCOME_KINDS.get(appointment.status)
    if kind is None or appointment.patient_id is None:
        return None
    # The patient's lock before looking for a charge already posted: two postings of one outcome (a completion and
    # the sweep, say) then run one after the other, and the second finds the first's charge.
    patient = patient_lock(appointment.patient)
    existing = _posted(appointment=appointment, patient_id=patient.pk, kind=kind)
    if existing is not None:
        return existing
    covered = package_session_cover(actor=actor, appointment=appointment, patient=patient, kind=kind)
    if covered is not None:
        return covered
    service = appointment.service_type
    # The service by its name, as the patient knows it; its billing code is the superbill's (from `service_type`).
    labels = {
        ChargeKind.SESSION: service.name,
        ChargeKind.LATE_CANCEL: f"Late cancellation fee ({service.name})",
        ChargeKind.NO_SHOW: f"No-show fee ({service.name})",
    }
    return _post_charge(
        actor=actor, patient=patient, appointment=appointment, kind=kind, description=labels[kind], patient_locked=True
    )


@transaction.atomic
def charge_for_group_attendance(*, patient, meeting, actor) -> Charge | None:
    """Charge a patient's attendance at a group meeting (a group appointment without a patient) at the group fee
    for their class, once per patient and meeting. None when the group service has no fee."""
    if meeting.patient_id is not None or not meeting.service_type.is_group:
        raise Unprocessable("Group attendance is charged on a group meeting.")
    existing = _posted(appointment=meeting, patient_id=patient.pk, kind=ChargeKind.GROUP)
    if existing is not None:
        return existing
    return _post_charge(
        actor=actor, patient=patient, appointment=meeting, kind=ChargeKind.GROUP, description=meeting.service_type.name
    )
