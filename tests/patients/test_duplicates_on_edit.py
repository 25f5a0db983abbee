"""Changing a chart's name, birth date or email to another chart's asks first, as registering does: the same check
(same legal name and birth date, or same email), the same warning on the page with a "Save anyway", and in the API
the same 409 with the matching charts' ids unless `confirm_duplicate`."""

import datetime as dt

import pytest

from apps.patients import services
from apps.patients.models import DEMOGRAPHIC_FIELDS, Patient
from apps.patients.services import PossibleDuplicate
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

BORN = dt.date(1979, 3, 4)


@pytest.fixture
def rosa(db):
    return PatientFactory(
        legal_first_name="Rosa", legal_last_name="Quintero", date_of_birth=BORN, email="rosa@example.test"
    )


@pytest.fixture
def chart(personas):
    """The chart being corrected: the personas' patient, someone else entirely."""
    return Patient.objects.get(pk=personas.patient.pk)


def _same_person_as_rosa() -> dict:
    return {"legal_first_name": "rosa", "legal_last_name": "QUINTERO ", "date_of_birth": BORN}


def test_a_name_and_birth_date_made_anothers_is_a_possible_duplicate(personas, rosa, chart):
    with pytest.raises(PossibleDuplicate) as asked:
        services.patient_update(actor=personas.front_desk, patient=chart, **_same_person_as_rosa())

    assert asked.value.status == 409 and asked.value.matches == [rosa]
    assert asked.value.extra == {"duplicate_ids": [rosa.pk]}
    assert Patient.objects.get(pk=chart.pk).legal_last_name == "Ient"


def test_an_email_made_anothers_is_a_possible_duplicate(personas, rosa, chart):
    with pytest.raises(PossibleDuplicate) as asked:
        services.patient_update(actor=personas.front_desk, patient=chart, email="Rosa@Example.test")
    assert asked.value.matches == [rosa]


def test_confirming_saves_the_change(personas, rosa, chart):
    services.patient_update(actor=personas.front_desk, patient=chart, confirm_duplicate=True, **_same_person_as_rosa())
    assert Patient.objects.get(pk=chart.pk).date_of_birth == BORN


def test_the_chart_never_matches_itself_and_other_changes_ask_nothing(personas, rosa):
    services.patient_update(actor=personas.front_desk, patient=rosa, legal_first_name="ROSA", email="ROSA@example.test")
    # A second chart for the same person, kept on purpose: editing either one's address asks nothing.
    twin = services.patient_create(
        actor=personas.front_desk, confirm_duplicate=True, **_same_person_as_rosa(), email=""
    )
    services.patient_update(actor=personas.front_desk, patient=twin, city="Salem")
    assert Patient.objects.get(pk=twin.pk).city == "Salem"


def _chart_form(patient, **changes) -> dict:
    data = {field: getattr(patient, field) for field in DEMOGRAPHIC_FIELDS}
    data["primary_therapist"] = patient.primary_therapist_id or ""
    data["date_of_birth"] = patient.date_of_birth.isoformat()
    data = {field: value for field, value in data.items() if value not in (None, False)}
    return {**data, **changes}


def test_the_edit_page_warns_as_the_new_patient_page_does_and_saves_when_confirmed(personas, login, rosa, chart):
    client = login(personas.front_desk)
    form = _chart_form(chart, **{**_same_person_as_rosa(), "date_of_birth": BORN.isoformat()})

    response = client.post(f"/patients/{chart.pk}/edit/", form)

    body = response.content.decode()
    assert response.status_code == 409
    assert "This patient may already be registered" in body
    assert f'href="/patients/{rosa.pk}/"' in body and rosa.choice_label in body
    assert "born March 4, 1979" in body and "03/04/1979" not in body, "a birth date no reader can misread"
    assert 'name="confirm_duplicate" value="yes"' in body and "Save anyway" in body
    assert 'value="QUINTERO ' in body  # what was typed stays in the form
    assert Patient.objects.get(pk=chart.pk).date_of_birth != BORN

    response = client.post(f"/patients/{chart.pk}/edit/", {**form, "confirm_duplicate": "yes"})
    assert response.status_code == 302 and response["Location"] == f"/patients/{chart.pk}/"
    assert Patient.objects.get(pk=chart.pk).date_of_birth == BORN


def test_the_api_answers_409_with_the_matching_ids_unless_confirmed(personas, login, rosa, chart):
    api = login(personas.front_desk, api=True)

    response = api.patch(f"/api/patients/{chart.pk}/", {"email": "rosa@example.test"}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "possible_duplicate" and error["duplicate_ids"] == [rosa.pk]
    assert Patient.objects.get(pk=chart.pk).email != "rosa@example.test"

    body = {"email": "rosa@example.test", "confirm_duplicate": True}
    response = api.patch(f"/api/patients/{chart.pk}/", body, format="json")
    assert response.status_code == 200 and response.json()["email"] == "rosa@example.test"


def test_the_page_and_the_api_find_the_same_charts(personas, login, rosa, chart):
    namesake = PatientFactory(legal_first_name="Rosa", legal_last_name="Quintero", date_of_birth=BORN, email="")
    changes = {**_same_person_as_rosa(), "email": "rosa@example.test"}

    page = login(personas.front_desk).post(
        f"/patients/{chart.pk}/edit/", _chart_form(chart, **{**changes, "date_of_birth": BORN.isoformat()})
    )
    api = login(personas.front_desk, api=True).patch(
        f"/api/patients/{chart.pk}/", {**changes, "date_of_birth": BORN.isoformat()}, format="json"
    )

    assert [p.pk for p in page.context["duplicates"]] == [rosa.pk, namesake.pk]
    assert api.json()["error"]["duplicate_ids"] == [p.pk for p in page.context["duplicates"]]


def test_a_therapist_is_warned_only_of_charts_they_may_open(personas, login, chart):
    """Their own patients' charts: a chart they do not treat is not named to them, not even by its id."""
    stranger = PatientFactory(email="stranger@example.test")
    theirs = PatientFactory(primary_therapist=personas.therapist, email="theirs@example.test")
    api = login(personas.therapist, api=True)

    hidden = api.patch(f"/api/patients/{chart.pk}/", {"email": "stranger@example.test"}, format="json")
    # Saved without a warning; nothing names the stranger's chart (a bare id could match any number in the body).
    assert hidden.status_code == 200, hidden.content
    assert stranger.chart_number not in hidden.content.decode() and "duplicate" not in hidden.content.decode()

    shown = api.patch(f"/api/patients/{chart.pk}/", {"email": "theirs@example.test"}, format="json")
    assert shown.status_code == 409 and shown.json()["error"]["duplicate_ids"] == [theirs.pk]
