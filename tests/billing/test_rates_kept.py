"""The fee configuration is kept between requests, and a change to it is priced at once, whatever path made it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.billing import pricing
from apps.billing.demo import config_seed
from apps.billing.models import FeeSchedule, PovertyGuideline
from apps.billing.services.configuration import (
    HRSA_DEFAULT_CLASSES,
    fee_schedule_set,
    guideline_set,
    scale_schedule_save,
)
from tests.factories import ServiceTypeFactory

# Outside a test transaction, as a page or a task reads: only such a read is kept.
pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 3, 2)
FAMILY = {"household_size": 3, "annual_income": Decimal("38000"), "on": DAY}


@pytest.fixture
def individual():
    service = ServiceTypeFactory(code="90834", name="Individual psychotherapy, 45 min", duration_minutes=45)
    config_seed()
    return service


def _fee(quote: dict) -> str:
    return next(row["fee"] for row in quote["services"] if row["code"] == "90834")


def _queries(read) -> int:
    with CaptureQueriesContext(connection) as captured:
        read()
    return len(captured)


def test_a_second_price_reads_no_fee_configuration_from_the_database(individual):
    assert _queries(lambda: pricing.rates_on(on=DAY)) == 1  # the scale, its classes, the guideline and the fees
    assert _queries(lambda: pricing.rates_on(on=DAY)) == 0
    assert _queries(lambda: pricing.rates_on(on=DAY + dt.timedelta(days=1))) == 1  # kept per date
    assert _queries(lambda: pricing.quote(**FAMILY)) == 0  # the services it lists are kept with the fees


def test_a_service_renamed_or_retired_is_quoted_at_once(individual):
    pricing.quote(**FAMILY)
    individual.name = "Psychotherapy, 45 minutes"
    individual.save()
    assert [row["name"] for row in pricing.quote(**FAMILY)["services"]] == ["Psychotherapy, 45 minutes"]
    individual.is_active = False
    individual.save()
    assert pricing.quote(**FAMILY)["services"] == []


def test_a_new_fee_is_quoted_at_once(individual):
    assert str(_fee(pricing.quote(**FAMILY))) == "80.00"
    fee_schedule_set(actor=None, service_type=individual, full_fee=Decimal("250.00"), effective_from=DAY)
    assert str(_fee(pricing.quote(**FAMILY))) == "100.00"  # class C: 40 % of the new $250


def test_a_fee_changed_by_a_plain_save_is_quoted_at_once(individual):
    pricing.quote(**FAMILY)
    row = FeeSchedule.objects.filter(service_type=individual).order_by("-effective_from").first()
    row.full_fee = Decimal("300.00")
    row.save()  # the Django admin's path
    assert str(_fee(pricing.quote(**FAMILY))) == "120.00"


def test_a_new_class_table_and_guideline_are_used_at_once(individual):
    assert pricing.quote(**FAMILY)["class_code"] == "C"
    guideline_set(actor=None, year=2026, first_person=Decimal("30000"), each_additional_person=Decimal("10000"))
    assert pricing.quote(**FAMILY)["class_code"] == "A"  # 38,000 is under 100 % of the new 50,000
    classes = [{**row, "label": f"Class {row['code']}"} for row in HRSA_DEFAULT_CLASSES]
    scale_schedule_save(
        actor=None, effective_from=DAY, nominal_fee=Decimal("15"), late_cancel_fee=Decimal("90"), classes=classes
    )
    quote = pricing.quote(**FAMILY)
    assert (quote["class_label"], str(quote["nominal_fee"]), str(_fee(quote))) == ("Class A", "15.00", "15.00")


def test_a_configuration_read_inside_a_rolled_back_change_is_not_kept(individual):
    assert str(_fee(pricing.quote(**FAMILY))) == "80.00"
    with transaction.atomic():
        fee_schedule_set(actor=None, service_type=individual, full_fee=Decimal("999.00"), effective_from=DAY)
        assert str(_fee(pricing.quote(**FAMILY))) == "399.60"
        transaction.set_rollback(True)
    assert str(_fee(pricing.quote(**FAMILY))) == "80.00"


def test_a_guideline_deleted_is_missed_at_once(individual):
    pricing.rates_on(on=DAY)
    PovertyGuideline.objects.filter(year__in=(2025, 2026)).delete()
    with pytest.raises(Exception, match="No poverty guideline"):
        pricing.rates_on(on=DAY)


def test_when_the_cache_is_down_the_database_prices(individual, settings):
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert str(_fee(pricing.quote(**FAMILY))) == "80.00"
    assert _queries(lambda: pricing.rates_on(on=DAY)) == 1


# --- inside one transaction: held for the rest of it, never past a rollback of what it was read under -------------


def test_a_transaction_reads_the_fee_configuration_once_per_date(individual):
    with transaction.atomic():
        assert _queries(lambda: pricing.rates_on(on=DAY)) == 1
        with transaction.atomic():  # a service's own savepoint, released
            assert _queries(lambda: pricing.rates_on(on=DAY)) == 0
            assert _queries(lambda: pricing.rates_on(on=DAY + dt.timedelta(days=1))) == 1
        assert _queries(lambda: pricing.rates_on(on=DAY + dt.timedelta(days=1))) == 0
        assert _queries(lambda: pricing.quote(**FAMILY)) == 0


def test_a_fee_saved_inside_a_transaction_is_priced_at_once_in_it(individual):
    with transaction.atomic():
        assert str(_fee(pricing.quote(**FAMILY))) == "80.00"
        fee_schedule_set(actor=None, service_type=individual, full_fee=Decimal("250.00"), effective_from=DAY)
        assert str(_fee(pricing.quote(**FAMILY))) == "100.00"
        row = FeeSchedule.objects.get(service_type=individual, effective_from=DAY)
        row.full_fee = Decimal("300.00")
        row.save()
        assert str(_fee(pricing.quote(**FAMILY))) == "120.00"


def test_a_price_read_after_a_fee_saved_in_a_rolled_back_savepoint_is_not_held(individual):
    with transaction.atomic():
        assert str(_fee(pricing.quote(**FAMILY))) == "80.00"
        with transaction.atomic():
            fee_schedule_set(actor=None, service_type=individual, full_fee=Decimal("999.00"), effective_from=DAY)
            with transaction.atomic():  # read in a savepoint nested in the one that saved, and released into it
                assert str(_fee(pricing.quote(**FAMILY))) == "399.60"
            assert str(_fee(pricing.quote(**FAMILY))) == "399.60"
            transaction.set_rollback(True)
        assert str(_fee(pricing.quote(**FAMILY))) == "80.00"


def test_a_price_read_after_a_fee_saved_in_a_refused_service_is_not_held(individual):
    class Refused(Exception):
        pass

    with transaction.atomic():
        with pytest.raises(Refused), transaction.atomic():
            fee_schedule_set(actor=None, service_type=individual, full_fee=Decimal("999.00"), effective_from=DAY)
            assert str(_fee(pricing.quote(**FAMILY))) == "399.60"
            raise Refused
        assert str(_fee(pricing.quote(**FAMILY))) == "80.00"


def test_a_price_held_in_a_transaction_is_not_seen_by_the_next_one(individual):
    with transaction.atomic():
        fee_schedule_set(actor=None, service_type=individual, full_fee=Decimal("999.00"), effective_from=DAY)
        assert str(_fee(pricing.quote(**FAMILY))) == "399.60"
        transaction.set_rollback(True)
    with transaction.atomic():
        assert str(_fee(pricing.quote(**FAMILY))) == "80.00"
    with transaction.atomic():
        fee_schedule_set(actor=None, service_type=individual, full_fee=Decimal("250.00"), effective_from=DAY)
        assert str(_fee(pricing.quote(**FAMILY))) == "100.00"
    # Committed: the next transaction reads the new fee, not a value held before it.
    with transaction.atomic():
        assert str(_fee(pricing.quote(**FAMILY))) == "100.00"
    assert str(_fee(pricing.quote(**FAMILY))) == "100.00"


def test_a_price_held_in_a_transaction_is_not_seen_by_another_connection(individual):
    import threading

    seen = {}

    def other_reader():
        try:
            with transaction.atomic():
                seen["fee"] = str(_fee(pricing.quote(**FAMILY)))
        finally:
            connection.close()

    with transaction.atomic():
        fee_schedule_set(actor=None, service_type=individual, full_fee=Decimal("999.00"), effective_from=DAY)
        assert str(_fee(pricing.quote(**FAMILY))) == "399.60"
        reader = threading.Thread(target=other_reader)
        reader.start()
        reader.join()
        transaction.set_rollback(True)
    assert seen == {"fee": "80.00"}
