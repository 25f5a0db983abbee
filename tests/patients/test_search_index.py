"""The patient search is served by its trigram index rather than a scan of every chart, and finds the same charts."""

import datetime as dt

import pytest
from django.db import connection

from apps.patients.models import SEARCHED_FIELDS
from apps.patients.selectors import patient_search
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
TRIGRAM_INDEXES = [f"patient_{f.removeprefix('legal_')}_trgm" for f in SEARCHED_FIELDS]


def _plan(queryset) -> str:
    # A table of a few test rows is cheapest read whole, by a scan or in name order through the name index, whatever
    # else exists. With both forbidden, only a bitmap scan driven by the search's own conditions is left, and that
    # is possible only when an index serves every one of them; otherwise Postgres scans anyway (a "Seq Scan").
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    return queryset.explain()


def _uses(plan: str, indexes: list[str]) -> bool:
    return all(f"Bitmap Index Scan on {name}" in plan for name in indexes) and "Seq Scan" not in plan


@pytest.mark.parametrize("term", ["ient", "PATIENT4@", "555", "t000001"])
def test_every_condition_of_a_search_by_name_email_phone_or_chart_number_uses_its_trigram_index(personas, term):
    plan = _plan(patient_search(user=personas.front_desk, query=term))
    assert _uses(plan, TRIGRAM_INDEXES), plan


def test_a_search_by_birth_date_uses_the_birth_date_index_too(personas):
    plan = _plan(patient_search(user=personas.front_desk, query="1985-04-12"))
    assert _uses(plan, [*TRIGRAM_INDEXES, "patient_birth_date"]), plan


def test_a_therapists_search_within_their_own_patients_uses_the_trigram_indexes(personas):
    plan = _plan(patient_search(user=personas.therapist, query="ient"))
    assert _uses(plan, TRIGRAM_INDEXES), plan


def test_the_search_finds_by_any_part_of_a_name_email_or_phone_without_case_and_the_whole_chart_number(personas):
    wanted = PatientFactory(
        legal_first_name="Marguerite",
        legal_last_name="Okonkwo-Baptiste",
        preferred_name="Daisy",
        email="m.okonkwo@example.test",
        phone="+16175559876",
        chart_number="C123456",
    )
    unrelated = PatientFactory(legal_first_name="Unrelated", legal_last_name="Person", chart_number="C1234567")
    # The personas' patients have made-up names, which may hold a term too ("Figueroa" holds "guer"): only this
    # test's two patients are looked at.
    ours = [wanted.pk, unrelated.pk]
    for term in ["guer", "KWO-BAP", "daisy", "m.okonkwo@", "5559876", "c123456", "Marg Baptiste"]:
        found = list(patient_search(user=personas.front_desk, query=term).filter(pk__in=ours))
        assert found == [wanted], term
    assert not patient_search(user=personas.front_desk, query="C12345").exists()  # the chart number is whole


@pytest.mark.parametrize("term", ["4/6/1997", "04/06/1997", "4/6/97", "April 6, 1997"])
def test_a_search_by_birth_date_as_the_desk_writes_it_uses_the_birth_date_index_too(personas, term):
    plan = _plan(patient_search(user=personas.front_desk, query=term))
    assert "Bitmap Index Scan on patient_birth_date" in plan and "Seq Scan" not in plan, plan


@pytest.mark.parametrize(
    "query",
    [
        "1997-04-06",
        "4/6/1997",
        "04/06/1997",
        "4/6/97",
        "April 6, 1997",
        "apr 6 1997",
        "Fischer, Alex",
        "fischer,alex",
        "Fischer, Alex 4/6/1997",
        "alex fischer",
    ],
)
def test_the_search_finds_a_birth_date_written_month_first_and_a_name_written_last_name_first(personas, query):
    """Before, "4/6/1997" and "Fischer, Alex" found nobody, though the first is how a birth date is written at
    the desk and the second how a name is written on forms and lists."""
    wanted = PatientFactory(legal_first_name="Alex", legal_last_name="Fischer", date_of_birth=dt.date(1997, 4, 6))
    PatientFactory(legal_first_name="Samuel", legal_last_name="Fischer", date_of_birth=dt.date(1962, 12, 26))
    PatientFactory(legal_first_name="Alex", legal_last_name="Moreno", date_of_birth=dt.date(1997, 6, 4))
    assert list(patient_search(user=personas.front_desk, query=query)) == [wanted], query


@pytest.mark.parametrize("query", ["13/6/1997", "2/30/1997", "4/6/19970"])
def test_what_only_looks_like_a_date_finds_nobody_and_is_no_error(personas, query):
    PatientFactory(legal_first_name="Alex", legal_last_name="Fischer", date_of_birth=dt.date(1997, 4, 6))
    assert list(patient_search(user=personas.front_desk, query=query)) == []
