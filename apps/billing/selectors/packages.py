"""Session packages: the offerings on sale, a patient's packages with what is left of each, and the package that
covers a session."""

import datetime as dt

from django.db.models import Count, Q, QuerySet

from apps.core import clock

from ..models import PackageOffering, PackagePurchase, PackageStatus


def offerings_on_sale(*, patient=None, on: dt.date | None = None) -> QuerySet[PackageOffering]:
    """The packages sold; for `patient`, without those they hold in force on `on` (one of each at a time)."""
    offerings = PackageOffering.objects.filter(is_active=True).select_related("service_type")
    if patient is not None:
        offerings = offerings.exclude(pk__in=packages_in_force(patient=patient, on=on).values("offering_id"))
    return offerings


def packages_in_force(*, patient, on: dt.date | None = None) -> QuerySet[PackagePurchase]:
    """The patient's active packages not lapsed by `on` (today): a second of the same offering is not sold."""
    on = on or clock.local_now().date()
    return PackagePurchase.objects.filter(patient=patient, status=PackageStatus.ACTIVE, expires_on__gt=on)


def packages_of(*, patient) -> QuerySet[PackagePurchase]:
    """The patient's packages, newest first, with their offering and service (one query)."""
    return PackagePurchase.objects.filter(patient=patient).select_related("offering", "service_type")


def packages_covering(*, patient, service_type_id: int, on: dt.date) -> QuerySet[PackagePurchase]:
    """The active packages of this service that cover a session on `on`, the one expiring first first, so sessions
    are taken from the package that would otherwise lapse. A session dated before the sale is covered too when its
    outcome is recorded after it (a package sold at the first visit covers that visit); one charged before the
    sale stays charged."""
    return PackagePurchase.objects.filter(
        patient=patient, service_type_id=service_type_id, status=PackageStatus.ACTIVE, expires_on__gt=on
    ).order_by("expires_on", "pk")


def package_covering(*, patient, service_type_id: int, on: dt.date, lock: bool = False) -> PackagePurchase | None:
    """The package a session on `on` is taken from (`packages_covering`'s first); `lock` takes its row for the
    covering write."""
    rows = packages_covering(patient=patient, service_type_id=service_type_id, on=on)
    if lock:
        rows = rows.select_for_update()
    return rows.first()


def packages_held(*, patient, start: dt.date, end: dt.date) -> list[PackagePurchase]:
    """The packages a statement for start..end reports: bought by its end and not closed before its start, each
    with `used_by_end` (sessions covered on the ledger by the end: a covered session's $0 line counts when it was
    posted, as the statement's lines do) and `remaining_at_end`. One query."""
    begin = clock.local_datetime(start, dt.time(0, 0))
    stop = clock.local_datetime(end + dt.timedelta(days=1), dt.time(0, 0))
    rows = (
        packages_of(patient=patient)
        .filter(purchased_on__lte=end)
        .exclude(closed_at__lt=begin)
        .annotate(used_by_end=Count("sessions", filter=Q(sessions__charge__posted_at__lt=stop)))
    )
    packages = list(rows)
    for package in packages:
        package.remaining_at_end = package.sessions_total - package.used_by_end
    return packages
