"""Registering someone who may already have a chart asks first: the same legal name and birth date (any case), or
the same email. The page lists the charts with links and a "Create anyway"; the API answers 409 with their ids
unless `confirm_duplicate`. Both ask the one selector."""

import datetime as dt

import pytest

from apps.patients import selectors, services
from apps.patients.models import Patient
from apps.patients.services import PossibleDuplicate
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

BORN = dt.date(1979, 3, 4)


@pytest.fixture
def rosa(db):
    return PatientFactory(
        legal_first_name="Rosa", legal_last_name="Quintero", date_of_birth=BORN, email="rosa@example.test"
    )


def _new(**changes) -> dict:
    return {
        "legal_first_name": "rosa",
        "legal_last_name": "QUINTERO ",
        "date_of_birth": BORN,
        "email": "",
        **changes,
    }


def test_the_same_name_and_birth_date_in_any_case_is_a_possible_duplicate(personas, rosa):
    with pytest.raises(PossibleDuplicate) as asked:
        services.patient_create(actor=personas.front_desk, **_new())
    assert asked.value.status == 409 and asked.value.matches == [rosa]
    assert asked.value.extra == {"duplicate_ids": [rosa.pk]}
    assert Patient.objects.filter(legal_last_name__iexact="quintero").count() == 1


def test_the_same_email_is_a_possible_duplicate_whatever_the_name(personas, rosa):
    with pytest.raises(PossibleDuplicate) as asked:
        services.patient_create(
            actor=personas.front_desk,
            legal_first_name="R.",
            legal_last_name="Quintero-Diaz",
            date_of_birth=dt.date(1980, 1, 1),
            email="Rosa@Example.test",
        )
    assert asked.value.matches == [rosa]


def test_a_discharged_chart_counts_too(personas, rosa):
    Patient.objects.filter(pk=rosa.pk).update(status="discharged", discharged_on=dt.date(2024, 1, 1))
    with pytest.raises(PossibleDuplicate):
        services.patient_create(actor=personas.front_desk, **_new())


def test_the_same_name_born_another_day_is_someone_else(personas, rosa):
    patient = services.patient_create(actor=personas.front_desk, **_new(date_of_birth=dt.date(1979, 3, 5)))
    assert patient.pk != rosa.pk


def test_confirming_creates_the_second_chart(personas, rosa):
    patient = services.patient_create(actor=personas.front_desk, confirm_duplicate=True, **_new())
    assert patient.pk != rosa.pk and patient.chart_number != rosa.chart_number


def test_the_page_lists_the_possible_duplicates_and_asks_before_creating(personas, login, rosa):
    client = login(personas.front_desk)
    form = {**_new(date_of_birth=BORN.isoformat()), "reminder_email": "on"}
    response = client.post("/patients/new/", form)
    body = response.content.decode()
    assert response.status_code == 409
    assert "This patient may already be registered" in body
    assert f'href="/patients/{rosa.pk}/"' in body and rosa.choice_label in body
    assert "born March 4, 1979" in body and "03/04/1979" not in body, "a birth date no reader can misread"
    assert 'name="confirm_duplicate" value="yes"' in body and "Create anyway" in body
    assert 'value="QUINTERO ' in body  # what was typed stays in the form
    assert Patient.objects.count() == 3

    response = client.post("/patients/new/", {**form, "confirm_duplicate": "yes"})
    created = Patient.objects.exclude(pk__in=[rosa.pk, personas.patient.pk, personas.other_patient.pk]).get()
    assert response.status_code == 302 and response["Location"] == f"/patients/{created.pk}/"


def test_the_api_answers_409_with_the_matching_ids_unless_confirmed(personas, login, rosa):
    client = login(personas.front_desk, api=True)
    body = {**_new(), "email": "rosa@example.test"}
    response = client.post("/api/patients/", body, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "possible_duplicate" and error["duplicate_ids"] == [rosa.pk]
    assert "confirm" in error["message"]

    response = client.post("/api/patients/", {**body, "confirm_duplicate": True}, format="json")
    assert response.status_code == 201 and response.json()["id"] != rosa.pk


def test_the_page_and_the_api_find_the_same_charts(personas, login, rosa):
    namesake = PatientFactory(legal_first_name="Rosa", legal_last_name="Quintero", date_of_birth=BORN, email="")
    same_email = PatientFactory(email="rosa.q@example.test")
    asked = {**_new(), "email": "rosa.q@example.test"}
    expected = selectors.patient_possible_duplicates(**asked)
    assert {p.pk for p in expected} == {rosa.pk, namesake.pk, same_email.pk}

    page = login(personas.front_desk).post("/patients/new/", {**asked, "date_of_birth": BORN.isoformat()})
    api = login(personas.front_desk, api=True).post("/api/patients/", asked, format="json")

    assert [p.pk for p in page.context["duplicates"]] == [p.pk for p in expected]
    assert api.json()["error"]["duplicate_ids"] == [p.pk for p in expected]


@pytest.mark.parametrize("who", ["therapist", "billing", "patient_user"])
def test_only_those_who_register_patients_are_asked(personas, login, rosa, who):
    user = getattr(personas, who)
    assert login(user).post("/patients/new/", {**_new(date_of_birth=BORN.isoformat())}).status_code == 403
    assert login(user, api=True).post("/api/patients/", _new(), format="json").status_code == 403
