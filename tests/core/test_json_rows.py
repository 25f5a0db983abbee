"""A row read beside another as JSON comes back as the ORM would have read it: money as the exact Decimal it is
stored as (never through a float), a date as a date, a related row as its instance."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import JSONObject

from apps.billing.models import FeeSchedule
from apps.core.json_rows import JSONRow, from_row, row_of
from apps.scheduling.models import ServiceType
from tests.factories import ServiceTypeFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fee", ["200.00", "0.10", "1234567.89", "19.99"])
def test_money_comes_back_exact_with_its_cents(fee):
    service = ServiceTypeFactory()
    FeeSchedule.objects.create(service_type=service, full_fee=Decimal(fee), effective_from=dt.date(2026, 1, 1))
    fees = FeeSchedule.objects.filter(service_type=OuterRef("pk")).values(row=row_of(FeeSchedule))

    found = ServiceType.objects.filter(pk=service.pk).annotate(fee_row=Subquery(fees[:1])).get()
    schedule = from_row(FeeSchedule, found.fee_row)

    assert isinstance(schedule.full_fee, Decimal) and str(schedule.full_fee) == fee
    assert schedule.effective_from == dt.date(2026, 1, 1) and schedule.service_type_id == service.pk


def test_a_related_row_beside_the_columns_comes_back_as_its_instance():
    service = ServiceTypeFactory(name="Individual psychotherapy, 45 min")
    FeeSchedule.objects.create(service_type=service, full_fee=Decimal("150.00"), effective_from=dt.date(2026, 1, 1))
    rows = FeeSchedule.objects.values_list(
        row_of(FeeSchedule, only=("id", "full_fee"), service_type=row_of(ServiceType, "service_type__")), flat=True
    )

    [schedule] = [from_row(FeeSchedule, row) for row in rows]

    assert schedule.service_type.name == "Individual psychotherapy, 45 min"
    assert schedule.full_fee == Decimal("150.00")
    assert schedule.get_deferred_fields() >= {"effective_from"}


def test_a_row_reads_as_djangos_json_object_reads_it():
    """`row_of` writes its keys into the statement instead of sending them as values (cheaper to compile): the
    object it reads is the one `JSONObject` of the same columns reads."""
    service = ServiceTypeFactory(name="Couples session, 60 min")
    FeeSchedule.objects.create(service_type=service, full_fee=Decimal("95.50"), effective_from=dt.date(2026, 3, 1))
    rows = FeeSchedule.objects.filter(service_type=service)
    columns = {f.attname: F(f.attname) for f in FeeSchedule._meta.concrete_fields if f.attname != "full_fee"}

    ours = rows.values_list(row_of(FeeSchedule, service_type=row_of(ServiceType, "service_type__")), flat=True).get()
    django = rows.values_list(JSONObject(**columns), flat=True).get()

    assert {k: v for k, v in ours.items() if k not in {"full_fee", "service_type"}} == django
    assert ours["full_fee"] == "95.50" and ours["service_type"]["name"] == "Couples session, 60 min"


def test_a_key_that_is_not_a_column_name_is_refused():
    with pytest.raises(ValueError, match="not a column name"):
        JSONRow(**{"it's": Value(1)})
