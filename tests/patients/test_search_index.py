"""The patient search is served by its trigram index rather than a scan of every chart, and finds the same charts."""

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
    PatientFactory(legal_first_name="Unrelated", legal_last_name="Person", chart_number="C1234567")
    for term in ["guer", "KWO-BAP", "daisy", "m.okonkwo@", "5559876", "c123456", "Marg Baptiste"]:
        found = list(patient_search(user=personas.front_desk, query=term))
        assert found == [wanted], term
    assert not patient_search(user=personas.front_desk, query="C12345").exists()  # the chart number is whole
