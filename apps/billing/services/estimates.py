"""Good Faith Estimates: issuing one with its notice to the patient, and re-issuing running estimates when the
patient's class changes or their assessment ends.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.disciplines import discipline_of
from apps.accounts.models import User
from apps.core import clock
from apps.core.dates import DateReach, years_from
from apps.core.errors import Unprocessable
from apps.core.links import absolute_url
from apps.core.models import ClinicSettings
from apps.core.money import ZERO
from apps.core.transitions import actor_or_none
from apps.notifications.models import Message
from apps.notifications.outbox import messages_enqueue, patient_notice_build
from apps.scheduling.models import Appointment
from apps.scheduling.selectors import active_therapists, individual_service_types, service_types_by_id
from apps.scheduling.services import INTAKE_CPT, series_dates

from .. import pricing
from ..models import EstimateReason, GoodFaithEstimate
from ..selectors.estimates import estimates_current, patients_with_estimates_past_expiry
from .common import patient_lock

logger = logging.getLogger(__name__)

# An open-ended series is estimated for a year, the longest an estimate covers.
ESTIMATE_SPAN = dt.timedelta(weeks=52, days=-1)


def gfe_notice_build(*, estimate: GoodFaithEstimate) -> list[Message]:
    """The unsaved email telling the patient an estimate was issued (or re-issued), with a link to it in the portal,
    keyed once per estimate."""
    return patient_notice_build(
        patient=estimate.patient,
        subject=estimate,
        template="good_faith_estimate",
        key=f"good_faith_estimate:{estimate.pk}:issued",
        context={
            "reissued": estimate.replaces_id is not None,
            "requested": estimate.reason == EstimateReason.PATIENT_REQUESTED,
            "period_start": estimate.period_start.isoformat(),
            "period_end": estimate.period_end.isoformat(),
            "total": str(estimate.total),
            "estimate_url": absolute_url(reverse("portal:billing:estimate", args=[estimate.pk])),
        },
        email_only=True,
        send_at=estimate.issued_at,
    )


@dataclass(frozen=True)
class EstimatedService:
    """One expected service of an estimate: what, with whom, how many times."""

    service_type_id: int
    therapist_id: int | None
    expected_count: int


def _estimate_line(*, service: EstimatedService, price, service_types, therapists) -> tuple:
    service_type = service_types[service.service_type_id]
    therapist = therapists.get(service.therapist_id)
    profile = getattr(therapist, "therapist_profile", None)
    line = {
        "service_type_id": service_type.pk,
        "cpt": service_type.code,
        "description": service_type.name,
        "fee": str(price.fee),
        "expected_count": service.expected_count,
        "amount": str(price.fee * service.expected_count),
        "therapist_id": therapist.pk if therapist else None,
        "provider_name": therapist.full_name if therapist else "",
        "provider_npi": getattr(profile, "npi", ""),
        "provider_license": " ".join(
            filter(None, [getattr(profile, "license_type", ""), getattr(profile, "license_number", "")])
        ),
    }
    return line, price.class_label, price.class_code


def gfe_issue(
    *,
    actor,
    patient,
    services: list[EstimatedService],
    period_start: dt.date,
    period_end: dt.date,
    reason: str,
    on: dt.date | None = None,
    replaces: GoodFaithEstimate | None = None,
    clinic: ClinicSettings | None = None,
    service_types: dict | None = None,
    therapists: dict | None = None,
) -> GoodFaithEstimate | None:
    """Issue a Good Faith Estimate: each expected service at the patient's fee on `on` (default today) times the
    expected count, with the provider's and the clinic's identifiers, and queue the patient's notice of it. Nothing
    is issued (None) while the clinic has no fee for the service: an estimate without a price would mislead.

    The pricing reads come first, outside the transaction the estimate and its notice are written in, so a booking
    that issues nothing (no fee configured) takes no savepoint for it, nor reads the services and providers.
    `clinic` is the settings row (for the clinic's identifiers) when the caller has read it already; `service_types`
    and `therapists` (by id, the therapists with their profiles) likewise, for a booking that has them in hand."""
    on = on or clock.local_now().date()
    try:
        prices = [
            (s, pricing.charge_price(patient=patient, service_type_id=s.service_type_id, on=on, policy_fee=False))
            for s in services
            if s.expected_count > 0
        ]
    except Unprocessable:
        logger.warning("No Good Faith Estimate for patient %s: no fee configured", patient.pk)
        return None
    if not prices:
        return None
    if service_types is None:
        service_types = service_types_by_id(ids=[s.service_type_id for s, _ in prices])
    if therapists is None:
        therapists = User.objects.select_related("therapist_profile").in_bulk([s.therapist_id for s, _ in prices])
    priced = [
        _estimate_line(service=s, price=price, service_types=service_types, therapists=therapists)
        for s, price in prices
    ]
    clinic = clinic or ClinicSettings.load()
    _, class_label, class_code = priced[0]
    # In the caller's transaction when there is one: a booking that fails after this rolls it all back anyway, so
    # a savepoint would only cost two round trips.
    with transaction.atomic(savepoint=False):
        estimate = GoodFaithEstimate.objects.create(
            patient=patient,
            reason=reason,
            replaces=replaces,
            class_code=class_code,
            class_label=class_label,
            period_start=period_start,
            period_end=period_end,
            lines=[line for line, _, _ in priced],
            total=sum((Decimal(line["amount"]) for line, _, _ in priced), ZERO),
            clinic={"name": clinic.name, "address": clinic.address, "tax_id": clinic.tax_id, "npi": clinic.npi},
            issued_at=clock.now(),
            issued_by=actor_or_none(actor),
        )
        # The estimate is new, so is its notice's key: one INSERT, no savepoint.
        messages_enqueue(messages=gfe_notice_build(estimate=estimate))
    return estimate


def _sessions_left(*, count: int, start: dt.date, end: dt.date, on: dt.date) -> int:
    """How many of an estimate's `count` sessions, spread evenly from `start` to `end` (a series' dates are), fall
    on or after `on`."""
    if on <= start:
        return count
    if count <= 1 or end == start:
        return count if on <= end else 0
    span, elapsed = (end - start).days, (on - start).days
    return sum(1 for index in range(count) if index * span // (count - 1) >= elapsed)


def gfe_reissue_for_class_change(*, actor, patient, on: dt.date) -> list[GoodFaithEstimate]:
    """Re-issue each estimate still running on `on` whose class differs from the patient's class that day, for the
    sessions still to come from `on`. The caller holds the patient's row lock, so two re-issues of one estimate
    queue behind each other and the second finds it replaced."""
    reissued = []
    for estimate in estimates_current(patient=patient, on=on):
        services = [
            EstimatedService(
                line["service_type_id"],
                line["therapist_id"],
                _sessions_left(
                    count=line["expected_count"], start=estimate.period_start, end=estimate.period_end, on=on
                ),
            )
            for line in estimate.lines
        ]
        try:
            now_priced = pricing.charge_price(
                patient=patient, service_type_id=services[0].service_type_id, on=on, policy_fee=False
            )
        except Unprocessable:
            continue
        if (now_priced.class_code, now_priced.class_label) == (estimate.class_code, estimate.class_label):
            continue
        new = gfe_issue(
            actor=actor,
            patient=patient,
            services=services,
            period_start=max(estimate.period_start, on),
            period_end=estimate.period_end,
            reason=EstimateReason.FEE_CLASS_CHANGED,
            on=on,
            replaces=estimate,
        )
        if new is not None:
            reissued.append(new)
    return reissued


# How far back the daily re-issue looks for assessments that ended: a week covers any pause of the job.
ESTIMATE_EXPIRY_LOOKBACK = dt.timedelta(days=7)


def gfe_reissue_after_assessment_expiry(*, on: dt.date | None = None) -> int:
    """Daily: a patient whose approved assessment has ended pays the full fee (or the class of a newer assessment)
    from its end, so their running Good Faith Estimates are re-issued at the class in force on `on` (default
    today). Assessments ended within ESTIMATE_EXPIRY_LOOKBACK are looked at, one transaction per patient;
    running again re-issues nothing, since an estimate already at the patient's class is left alone. Returns how
    many estimates were re-issued."""
    on = on or clock.local_now().date()
    patient_ids = patients_with_estimates_past_expiry(since=on - ESTIMATE_EXPIRY_LOOKBACK, on=on)
    return sum(_gfe_reissue_for_patient(patient_id=pk, on=on) for pk in patient_ids)


@transaction.atomic
def _gfe_reissue_for_patient(*, patient_id: int, on: dt.date) -> int:
    from apps.patients.models import Patient

    patient = Patient.objects.select_for_update().get(pk=patient_id)
    return len(gfe_reissue_for_class_change(actor=None, patient=patient, on=on))


def gfe_issue_for_booking(
    *,
    appointment: Appointment,
    actor,
    series_starts: list[dt.datetime] | None = None,
    clinic: ClinicSettings | None = None,
) -> GoodFaithEstimate | None:
    """A new booking that needs the patient's Good Faith Estimate gets it in the booking's transaction: an intake
    session booked on its own, or a new series (asked once, by its earliest session). The series' estimate counts
    its dates over the next 52 weeks, less the dates it was booked without because they were blocked.
    `series_starts` are the starts of all the series' sessions when the caller has them (it booked them all just
    now); else they are read. `clinic` is the settings row when the booking has read it."""
    if appointment.patient_id is None:
        return None
    local_day = pricing.session_date(appointment)
    if appointment.series_id is None:
        if appointment.service_type.code != INTAKE_CPT:
            return None
        return gfe_issue(
            actor=actor,
            patient=appointment.patient,
            services=[EstimatedService(appointment.service_type_id, appointment.therapist_id, 1)],
            period_start=local_day,
            period_end=local_day,
            reason=EstimateReason.INTAKE_BOOKED,
            on=local_day,  # the fee its charge will post, as the booking page quoted it
        )
    series = appointment.series
    if series_starts is None:
        series_starts = list(
            Appointment.objects.filter(series=series).order_by("start").values_list("start", flat=True)
        )
    if min(series_starts) != appointment.start:
        return None  # a later session: an extension of the series, estimated when it was booked
    # A series' dates are wall-clock dates at its location, as its first_date is.
    tz = appointment.zone
    booked_days = {timezone.localtime(start, tz).date() for start in series_starts}

    def series_days(through: dt.date) -> list[dt.date]:
        return series_dates(
            first_date=series.first_date,
            interval_weeks=series.interval_weeks,
            occurrence_count=series.occurrence_count,
            end_date=series.end_date,
            through=through,
        )

    blocked = {day for day in series_days(series.booked_through) if day not in booked_days}
    dates = [day for day in series_days(series.first_date + ESTIMATE_SPAN) if day not in blocked]
    return gfe_issue(
        actor=actor,
        patient=series.patient,
        services=[EstimatedService(series.service_type_id, series.therapist_id, len(dates))],
        period_start=dates[0],
        period_end=dates[-1],
        reason=EstimateReason.SERIES_BOOKED,
        on=dates[0],  # the fee its first charge will post: a fee change scheduled before it is already known
        clinic=clinic,
        # The booking loaded both (the therapist with their profile, for the reduced-fee cap).
        service_types={series.service_type_id: series.service_type},
        therapists={series.therapist_id: series.therapist},
    )


# A requested estimate covers care from today to a year ahead: one asked for further out would price it at fees and
# a class that will have changed by then.
REQUEST_START_REACH = DateReach(years_back=0, years_ahead=1)


def _request_refusal_raise(
    *, service_type, therapist, expected_count: int, period_start: dt.date, period_end: dt.date
) -> None:
    """Refuse what a requested estimate cannot honestly price, naming the field."""

    def refuse(field: str, message: str):
        raise Unprocessable(message, fields={field: [message]})

    if not individual_service_types().filter(pk=service_type.pk).exists():
        refuse("service_type", f"{service_type.name} is not an individual service the clinic offers now.")
    if therapist is not None:
        if not active_therapists().filter(pk=therapist.pk).exists():
            refuse("therapist", "Choose an active therapist, or leave the therapist open.")
        if discipline_of(therapist) != service_type.discipline:
            refuse(
                "therapist",
                f"{therapist.full_name} does not give {service_type.name}: it needs a "
                f"{service_type.get_discipline_display().lower()} provider.",
            )
    REQUEST_START_REACH.require(period_start, field="period_start")
    if period_end < period_start:
        refuse("period_end", "The period ends before it starts.")
    if period_end >= years_from(period_start, 1):
        refuse("period_end", "An estimate covers at most 12 months; ask for a later one when this one runs out.")
    days = (period_end - period_start).days + 1
    if expected_count < 1:
        refuse("expected_count", "Expect at least one session.")
    if expected_count > days:
        refuse("expected_count", f"At most one session a day: {days} in this period.")


@transaction.atomic
def gfe_issue_on_request(
    *,
    actor,
    patient,
    service_type,
    therapist,
    expected_count: int,
    period_start: dt.date,
    period_end: dt.date,
) -> GoodFaithEstimate:
    """Issue the Good Faith Estimate a patient (or someone about to become one) asked for: `expected_count`
    sessions of `service_type` between the two dates, with `therapist` or with whoever the clinic assigns (None).

    Priced by `gfe_issue`, as a booking is, at the fee of the first expected day (what its charge will post, as an
    intake's booking does). Unlike a booking, which books without an estimate while the clinic has no fee for the
    service, a request that cannot be priced is refused with a message: the patient is waiting for an answer.

    The patient's row is locked before the class is read, as an approval that re-issues their running estimates
    locks it: an estimate priced at the class an approval is replacing would otherwise escape the re-issue."""
    patient = patient_lock(patient)
    _request_refusal_raise(
        service_type=service_type,
        therapist=therapist,
        expected_count=expected_count,
        period_start=period_start,
        period_end=period_end,
    )
    estimate = gfe_issue(
        actor=actor,
        patient=patient,
        services=[EstimatedService(service_type.pk, therapist.pk if therapist else None, expected_count)],
        period_start=period_start,
        period_end=period_end,
        reason=EstimateReason.PATIENT_REQUESTED,
        on=period_start,
        service_types={service_type.pk: service_type},
        therapists={therapist.pk: therapist} if therapist else {},
    )
    if estimate is None:
        message = (
            f"The clinic has no fee for {service_type.name} on {period_start:%B %-d, %Y}, so no estimate can be given."
        )
        raise Unprocessable(message, fields={"service_type": ["No fee configured."]})
    return estimate
