"""Billing reports: accounts receivable aging and the sliding-scale discount report."""

import datetime as dt
from collections import defaultdict

from django.db.models import Count, F, Sum

from apps.core import clock
from apps.core.money import ZERO

from ..models import Adjustment, Charge, Payment
from .ledger import charge_outstanding

AGING_BUCKETS = [("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None)]


def ar_aging(*, as_of: dt.date) -> dict:
    """Outstanding charges by age, per patient and in total. A charge ages from the day it was posted (billed) in
    the clinic's time zone, the rule statements and balances count by: a session on the 31st charged on the 2nd is
    on the next statement and ages from the 2nd. The charges posted first are paid first. Four queries whatever the
    number of patients."""
    from apps.patients.models import Patient

    tz = clock.clinic_tz()
    end = clock.local_datetime(as_of + dt.timedelta(days=1), dt.time(0, 0))
    charges = defaultdict(list)
    for charge in Charge.objects.filter(posted_at__lt=end).only("id", "patient_id", "posted_at", "amount"):
        charges[charge.patient_id].append(charge)
    credits = defaultdict(lambda: ZERO)
    for model, stamp in ((Payment, "received_at"), (Adjustment, "posted_at")):
        for pk, total in (
            model.objects.filter(**{f"{stamp}__lt": end})
            .values("patient")
            .annotate(t=Sum("amount"))
            .values_list("patient", "t")
        ):
            credits[pk] += total
    names = Patient.objects.in_bulk(list(charges))
    rows = []
    totals = dict.fromkeys([b[0] for b in AGING_BUCKETS], ZERO)
    for patient_id, patient_charges in charges.items():
        owed = charge_outstanding(charges=patient_charges, credits=credits[patient_id], by_posting=True)
        buckets = dict.fromkeys(totals, ZERO)
        for charge in patient_charges:
            age = (as_of - charge.posted_at.astimezone(tz).date()).days
            for name, low, high in AGING_BUCKETS:
                if age >= low and (high is None or age <= high):
                    buckets[name] += owed[charge.pk]
        total = sum(buckets.values(), ZERO)
        if total:
            rows.append({"patient": names[patient_id], "buckets": buckets, "total": total})
            for name in totals:
                totals[name] += buckets[name]
    rows.sort(key=lambda r: (-r["total"], r["patient"].legal_last_name))
    return {"as_of": as_of, "rows": rows, "totals": totals, "total": sum(totals.values(), ZERO)}


NO_THERAPIST = "No therapist (a package sold)"

# Charges for no session (a package sold) are at no location: the report over every location lists them on their own
# line, so its per-location lines add up to its total.
NOT_AT_A_LOCATION = "Not at a location: package sales"


def sliding_scale_report(*, start: dt.date, end: dt.date, location=None) -> dict:
    """Patients, charges and total discount per class, and per therapist and class, for charges in a period; at one
    `location`, only the charges for sessions held there (a telehealth session's is the office it was held from);
    over every location, also per location (the package sales, at none, on a line of their own), which add up to
    the total. The page and its CSV both read this."""
    charges = Charge.objects.filter(service_date__gte=start, service_date__lte=end)
    if location is not None:
        charges = charges.filter(appointment__location=location)
    aggregates = {
        "patients": Count("patient", distinct=True),
        "charges": Count("id"),
        "full": Sum("full_fee"),
        "charged": Sum("amount"),
    }
    by_class = list(charges.values("class_code", "class_label").annotate(**aggregates).order_by("class_code"))
    by_therapist = list(
        charges.values("therapist", "therapist__first_name", "therapist__last_name", "class_code", "class_label")
        .annotate(**aggregates)
        .order_by("therapist__last_name", "therapist", "class_code")
    )
    by_location = []
    if location is None:
        by_location = list(
            charges.values("appointment__location", "appointment__location__name")
            .annotate(**aggregates)
            .order_by(F("appointment__location__name").asc(nulls_last=True))
        )
    for row in by_class + by_therapist + by_location:
        row["discount"] = row["full"] - row["charged"]
    for row in by_location:
        row["location_name"] = row["appointment__location__name"] or NOT_AT_A_LOCATION
    for row in by_therapist:
        # A package sold is charged to no therapist: the row says so rather than a blank name.
        name = " ".join(part for part in (row["therapist__first_name"], row["therapist__last_name"]) if part)
        row["therapist_name"] = name if row["therapist"] is not None else NO_THERAPIST
    return {
        "start": start,
        "end": end,
        "location": location,
        "by_class": by_class,
        "by_therapist": by_therapist,
        "by_location": by_location,
        "total_discount": sum((r["discount"] for r in by_class), ZERO),
    }


def sliding_scale_csv_heading(report: dict) -> list[list]:
    """What the CSV covers, at its top: a file renamed or opened long after still says its period and location."""
    location = report["location"]
    return [
        ["Sliding-scale report"],
        ["From", report["start"].isoformat()],
        ["To", report["end"].isoformat()],
        ["Location", location.name if location is not None else "All"],
    ]


def sliding_scale_csv_tables(report: dict) -> list[tuple[str, list[str], list[list]]]:
    """The report as the CSV export lays it out: (title, headers, rows) per table, amounts as plain decimals."""
    by_class = [
        [r["class_label"], r["patients"], r["charges"], r["full"], r["charged"], r["discount"]]
        for r in report["by_class"]
    ]
    by_therapist = [
        [
            r["therapist_name"],
            r["class_label"],
            r["patients"],
            r["charges"],
            r["discount"],
        ]
        for r in report["by_therapist"]
    ]
    tables = [
        ("By class", ["Class", "Patients", "Charges", "Full fees", "Charged", "Discount"], by_class),
        ("By therapist", ["Therapist", "Class", "Patients", "Charges", "Discount"], by_therapist),
    ]
    if report["location"] is None:
        by_location = [
            [r["location_name"], r["patients"], r["charges"], r["full"], r["charged"], r["discount"]]
            for r in report["by_location"]
        ]
        tables.append(
            ("By location", ["Location", "Patients", "Charges", "Full fees", "Charged", "Discount"], by_location)
        )
    return tables
