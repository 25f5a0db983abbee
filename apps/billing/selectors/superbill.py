"""The superbill: session charges in a period with the claim form's place of service, modifier, diagnosis pointers
and providers.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from apps.core.errors import Unprocessable
from apps.core.models import ClinicSettings
from apps.core.money import ZERO, money

from ..models import Adjustment, AdjustmentKind, Charge
from .diagnoses import billing_diagnoses
from .ledger import charges_paid

# Claim form conventions: places of service 02 (telehealth elsewhere than home), 10 (telehealth in the patient's
# home) and, in person, the location's own code (11 office by default); modifier 95 marks a synchronous telehealth
# service; a line points at up to four of the claim's diagnoses by letter.
POS_OFFICE, POS_TELEHEALTH_HOME, POS_TELEHEALTH_OTHER = "11", "10", "02"
TELEHEALTH_MODIFIER = "95"
MAX_POINTERS_PER_LINE = 4


def superbill_lines(*, patient, start: dt.date, end: dt.date) -> list[dict]:
    """Session charges in the period with the amount charged and what has been paid on each; late-cancel and
    no-show fees are not reimbursable services and are left out.

    A session covered by a prepaid package stands on the ledger at zero, but it was paid for through the package:
    on the superbill it is charged its share of the package (the price, less any credit on the package's charge
    other than the refund of unused sessions, divided evenly over the package's sessions, the last one taking the
    cent left over), and paid what the payments on the package's charge cover of it, its sessions in order."""
    charges = list(
        Charge.objects.filter(
            patient=patient,
            service_date__gte=start,
            service_date__lte=end,
            kind__in=["session", "group"],
        ).select_related(
            "service_type",
            "appointment__location",
            "therapist__therapist_profile__supervisor__therapist_profile",
            "package_session__purchase__charge",
        )
    )
    covered = {c.pk: c.package_session for c in charges if hasattr(c, "package_session")}
    package_charges = [ps.purchase.charge for ps in {ps.purchase_id: ps for ps in covered.values()}.values()]
    paid = charges_paid(patient=patient, charges=charges + package_charges)
    credited = dict(
        Adjustment.objects.filter(charge__in=package_charges)
        .exclude(kind=AdjustmentKind.PACKAGE_REFUND)
        .values("charge_id")
        .annotate(total=Sum("amount"))
        .values_list("charge_id", "total")
    )
    lines = []
    for c in charges:
        session = covered.get(c.pk)
        if session is None:
            lines.append({"charge": c, "amount": c.amount, "paid": paid[c.pk]})
            continue
        charge_id = session.purchase.charge_id
        amount, paid_share = _package_session_share(
            session, credited=credited.get(charge_id) or ZERO, paid_on_package=paid[charge_id]
        )
        lines.append({"charge": c, "amount": amount, "paid": paid_share})
    return lines


def _package_session_share(session, *, credited: Decimal, paid_on_package: Decimal) -> tuple[Decimal, Decimal]:
    purchase = session.purchase
    worth = max(purchase.price - credited, ZERO)
    each = money(worth / purchase.sessions_total)
    before = each * (session.number - 1)
    amount = worth - before if session.number == purchase.sessions_total else each
    return amount, min(max(paid_on_package - before, ZERO), amount)


def _provider(user) -> dict:
    profile = getattr(user, "therapist_profile", None)
    return {
        "name": user.full_name,
        "credentials": getattr(profile, "credentials", ""),
        "license_type": getattr(profile, "license_type", ""),
        "license_number": getattr(profile, "license_number", ""),
        "npi": getattr(profile, "npi", ""),
    }


def _billing_provider(therapist) -> dict:
    """A pre-licensed therapist cannot bill in their own name: their supervising licensed provider does."""
    profile = getattr(therapist, "therapist_profile", None)
    if profile is not None and profile.is_prelicensed and profile.supervisor_id:
        return _provider(profile.supervisor)
    return _provider(therapist)


def place_of_service(*, is_telehealth: bool, patient_at_home: bool, location=None) -> str:
    """In person, the code of the location the session was at (an office unless it says otherwise); telehealth, by
    where the clinic says its patients are."""
    if not is_telehealth:
        return location.place_of_service if location is not None else POS_OFFICE
    return POS_TELEHEALTH_HOME if patient_at_home else POS_TELEHEALTH_OTHER


def _facility(location) -> dict | None:
    """The service facility a claim names: the location the session was held at (a telehealth session's is the
    office it was held from)."""
    if location is None:
        return None
    return {"name": location.name, "address": ", ".join(location.address_lines)}


class DiagnosisMissing(Unprocessable):
    """A superbill refused for want of a confirmed diagnosis. The message tells billing staff what to do on the
    patient's billing page; the portal tells the patient in its own words, as the step is the clinic's."""


def superbill(*, patient, start: dt.date, end: dt.date) -> dict:
    """What a superbill shows an insurer: per line the date of service (the session's date where it was held), the
    place of service and service facility (its location), modifier, diagnosis pointers, the rendering provider
    (licence type and number) and the billing provider. Only services with a CPT code are listed and totalled;
    `not_listed` counts the others in the period. Refused (422) without a confirmed diagnosis, because an
    insurer refuses a claim without one."""
    held = billing_diagnoses(patient=patient)
    diagnoses = [{"pointer": d.pointer, "code": d.code} for d in held if d.status == "confirmed" and d.pointer]
    if not diagnoses:
        waiting = any(d.status == "proposed" for d in held)
        raise DiagnosisMissing(
            "A superbill needs at least one confirmed ICD-10 diagnosis code, and this patient has none. "
            + (
                "Confirm the diagnoses proposed from the intake note on the patient's billing page."
                if waiting
                else "Record the diagnosis codes on the patient's billing page."
            ),
            fields={"diagnosis_codes": ["No confirmed diagnosis."]},
        )
    pointers = "".join(d["pointer"] for d in diagnoses[:MAX_POINTERS_PER_LINE])
    at_home = ClinicSettings.load().telehealth_patient_at_home
    rows = superbill_lines(patient=patient, start=start, end=end)
    # An insurer reimburses CPT-coded services only: a service under the clinic's own code would be a claim line
    # pointing diagnoses at a code no insurer knows. It is left off, lines and totals alike, and counted so the
    # superbill can say some were.
    claimable = [row for row in rows if row["charge"].service_type.has_cpt_code]
    lines = []
    for row in claimable:
        charge = row["charge"]
        telehealth = bool(charge.appointment and charge.appointment.is_telehealth)
        location = charge.appointment.location if charge.appointment else None
        lines.append(
            {
                **row,
                "place_of_service": place_of_service(
                    is_telehealth=telehealth, patient_at_home=at_home, location=location
                ),
                "facility": _facility(location),
                "modifier": TELEHEALTH_MODIFIER if telehealth else "",
                "diagnosis_pointers": pointers,
                "rendering_provider": _provider(charge.therapist) if charge.therapist else None,
                "billing_provider": _billing_provider(charge.therapist) if charge.therapist else None,
            }
        )
    facilities = {line["facility"]["name"]: line["facility"] for line in lines if line["facility"]}
    return {
        "patient": patient,
        "start": start,
        "end": end,
        "diagnoses": diagnoses,
        "facilities": list(facilities.values()),
        "lines": lines,
        "not_listed": len(rows) - len(claimable),
        "total_charged": sum((line["amount"] for line in lines), ZERO),
        "total_paid": sum((line["paid"] for line in lines), ZERO),
    }
