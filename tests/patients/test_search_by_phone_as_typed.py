"""Staff search for a phone number the way people say and write it; charts keep it in international form."""

import pytest

from apps.patients.selectors import patient_search
from tests.factories import PatientFactory
from tests.patients.test_search_index import TRIGRAM_INDEXES, _plan, _uses

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["(617) 555-9876", "617-555-9876", "617.555.9876", "555-9876", "+1 617 555 9876"])
def test_a_phone_number_typed_any_usual_way_finds_the_chart(personas, typed):
    wanted = PatientFactory(phone="+16175559876")
    PatientFactory(phone="+16175550000")
    assert list(patient_search(user=personas.front_desk, query=typed)) == [wanted]


def test_the_api_search_finds_a_phone_as_typed(personas, login):
    wanted = PatientFactory(phone="+16175559876")
    found = login(personas.front_desk, api=True).get("/api/patients/", {"search": "(617) 555-9876"}).json()
    rows = found["results"] if isinstance(found, dict) else found
    assert [row["id"] for row in rows] == [wanted.pk]


def test_a_phone_as_typed_is_still_served_by_the_trigram_indexes(personas):
    plan = _plan(patient_search(user=personas.front_desk, query="555-9876"))
    assert _uses(plan, TRIGRAM_INDEXES), plan
