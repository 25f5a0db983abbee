"""The sliding-scale fee from pure values (pricing.Rates, no database): properties for every valid class table."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from apps.billing import fees, pricing

GUIDELINE_2026 = fees.Guideline(year=2026, first_person=Decimal("15960"), each_additional_person=Decimal("5680"))
ON = dt.date(2026, 3, 2)

money_st = st.decimals(min_value=0, max_value=2000, places=2, allow_nan=False, allow_infinity=False)
income_st = st.decimals(min_value=0, max_value=600000, places=2, allow_nan=False, allow_infinity=False)
size_st = st.integers(min_value=1, max_value=12)


@st.composite
def class_tables(draw):
    """Any valid table: sorted distinct bounds, a nominal bottom class or not, non-decreasing percentages."""
    bounds = sorted(draw(st.sets(st.integers(min_value=50, max_value=400), min_size=0, max_size=6)))
    percents = sorted(
        draw(st.lists(st.integers(min_value=0, max_value=100), min_size=len(bounds), max_size=len(bounds)))
    )
    nominal_bottom = bool(bounds) and draw(st.booleans())
    classes = []
    for index, (bound, percent) in enumerate(zip(bounds, percents, strict=True)):
        basis = "nominal" if nominal_bottom and index == 0 else "percent"
        classes.append(fees.ScaleClass(f"C{index}", f"up to {bound}%", Decimal(bound), basis, Decimal(percent)))
    classes.append(fees.ScaleClass("TOP", "full", None, "percent", Decimal(100)))
    return fees.ClassTable(nominal_fee=draw(money_st), classes=tuple(classes))


def _fee(table, full, size, income):
    """The price pricing.py puts on a session for this household, on a day when `full` is the full fee."""
    rates = pricing.Rates(
        on=ON,
        table=table,
        guideline=GUIDELINE_2026,
        late_cancel_fee=full,
        fee_rows={1: [(dt.date(2025, 1, 1), full)]},
        services=(),
    )
    classified = rates.classify(household_size=size, annual_income=income)
    return pricing.class_price(rates=rates, scale_class=classified.scale_class, full_fee=rates.full_fee(1))


@settings(max_examples=300, deadline=None)
@given(table=class_tables(), full=money_st, size=size_st, a=income_st, b=income_st)
def test_fee_never_falls_as_income_rises(table, full, size, a, b):
    low, high = sorted([a, b])
    assert _fee(table, full, size, low).fee <= _fee(table, full, size, high).fee


@settings(max_examples=300, deadline=None)
@given(table=class_tables(), full=money_st, size=size_st, income=income_st)
def test_fee_is_between_the_nominal_and_the_full_fee(table, full, size, income):
    result = _fee(table, full, size, income)
    assert min(table.nominal_fee, full) <= result.fee <= full
    assert result.fee == result.fee.quantize(Decimal("0.01"))
    assert isinstance(result.fee, Decimal)


@settings(max_examples=200, deadline=None)
@given(table=class_tables(), full=money_st, income=income_st, size=st.integers(min_value=1, max_value=11))
def test_a_bigger_household_never_pays_more_on_the_same_income(table, full, income, size):
    assert _fee(table, full, size + 1, income).fee <= _fee(table, full, size, income).fee


@settings(max_examples=200, deadline=None)
@given(table=class_tables(), size=size_st, data=st.data())
def test_an_income_exactly_at_a_bound_stays_in_the_lower_class_and_a_cent_more_moves_up(table, size, data):
    bounded = [c for c in table.classes if c.max_percent is not None]
    assume(bounded)
    index = data.draw(st.integers(min_value=0, max_value=len(bounded) - 1))
    scale_class = bounded[index]
    at_bound = GUIDELINE_2026.amount(size) * scale_class.max_percent / 100
    assert fees.classify(table=table, percent=_percent(size, at_bound)).code == scale_class.code
    above = table.classes[index + 1]
    assert fees.classify(table=table, percent=_percent(size, at_bound + Decimal("0.01"))).code == above.code


def _percent(size, income):
    return fees.percent_of_guideline(guideline=GUIDELINE_2026, household_size=size, annual_income=income)


@given(table=class_tables(), full=money_st, size=size_st, income=income_st)
def test_the_same_inputs_always_give_the_same_fee(table, full, size, income):
    assert _fee(table, full, size, income) == _fee(table, full, size, income)


def test_the_fee_in_force_is_the_latest_schedule_row_not_after_the_date():
    schedule = [(dt.date(2025, 1, 1), Decimal("180.00")), (dt.date(2026, 1, 1), Decimal("200.00"))]
    assert fees.full_fee_on(fee_schedule=schedule, on=dt.date(2025, 12, 31)) == Decimal("180.00")
    assert fees.full_fee_on(fee_schedule=schedule, on=dt.date(2026, 1, 1)) == Decimal("200.00")
    with pytest.raises(LookupError):
        fees.full_fee_on(fee_schedule=schedule, on=dt.date(2024, 12, 31))


@pytest.mark.parametrize(
    ("classes", "problem"),
    [
        ((), "Exactly one class must have no upper bound"),
        (
            (
                fees.ScaleClass("A", "a", Decimal(150), "percent", Decimal(40)),
                fees.ScaleClass("B", "b", Decimal(125), "percent", Decimal(60)),
                fees.ScaleClass("F", "f", None, "percent", Decimal(100)),
            ),
            "Class bounds must be distinct and listed from lowest to highest.",
        ),
        (
            (
                fees.ScaleClass("A", "a", Decimal(100), "percent", Decimal(60)),
                fees.ScaleClass("B", "b", Decimal(200), "percent", Decimal(40)),
                fees.ScaleClass("F", "f", None, "percent", Decimal(100)),
            ),
            "Each class must pay at least as much as the class below it.",
        ),
    ],
)
def test_a_table_that_would_break_the_properties_is_refused(classes, problem):
    with pytest.raises(ValueError, match=problem):
        fees.ClassTable(nominal_fee=Decimal(20), classes=classes)


def test_negative_income_and_empty_households_are_refused():
    with pytest.raises(ValueError):
        fees.percent_of_guideline(guideline=GUIDELINE_2026, household_size=1, annual_income=Decimal("-1"))
    with pytest.raises(ValueError):
        GUIDELINE_2026.amount(0)
