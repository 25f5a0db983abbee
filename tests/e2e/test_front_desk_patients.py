"""A front-desk person signs in with two factors, creates a patient and finds them in the API."""

import pytest

from tests.e2e.conftest import assert_accessible, follow, session_start

pytestmark = pytest.mark.django_db(transaction=True)


def test_front_desk_creates_a_patient_and_sees_it_in_the_api(page, personas):
    session_start(page, personas.front_desk)
    assert_accessible(page)

    follow(page, page.get_by_role("link", name="Patients"))
    assert_accessible(page)
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("Legal first name").fill("Rosa")
    page.get_by_label("Legal last name").fill("Quintero")
    page.get_by_label("Date of birth").fill("1979-03-04")
    page.get_by_label("Email", exact=True).fill("rosa@example.test")
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()

    page.get_by_role("heading", name="Rosa Quintero").wait_for()
    assert_accessible(page)
    api = page.request.get("/api/patients/?search=Quintero").json()
    assert [row["email"] for row in api["results"]] == ["rosa@example.test"]


def test_patient_search_works_by_keyboard_alone(page, personas):
    session_start(page, personas.front_desk, open_home=False)
    page.goto("/patients/")
    page.get_by_label("Search name, email, phone, chart number or date of birth").focus()
    page.keyboard.type(personas.patient.legal_last_name)
    page.keyboard.press("Enter")
    page.get_by_role("link", name=personas.patient.display_name).wait_for()


def test_front_desk_is_asked_before_registering_someone_already_on_file(page, personas):
    session_start(page, personas.front_desk, open_home=False)
    page.goto("/patients/new/")
    page.get_by_label("Legal first name").fill(personas.patient.legal_first_name.upper())
    page.get_by_label("Legal last name").fill(personas.patient.legal_last_name)
    page.get_by_label("Date of birth").fill(personas.patient.date_of_birth.isoformat())
    page.get_by_role("button", name="Save").click()

    page.get_by_role("heading", name="This patient may already be registered").wait_for()
    assert page.get_by_role("link", name=personas.patient.choice_label).is_visible()
    assert page.get_by_label("Legal first name").input_value() == personas.patient.legal_first_name.upper()
    assert_accessible(page)

    page.get_by_role("button", name="Create anyway").click()
    page.get_by_text("was added.").wait_for()
    assert page.url.rstrip("/").split("/")[-1] != str(personas.patient.pk)


def test_a_page_front_desk_cannot_use_explains_itself(page, personas):
    session_start(page, personas.front_desk, open_home=False)
    response = page.goto("/schedule/my-day/")
    assert response.status == 403
    page.get_by_role("heading", name="My day is not available to you").wait_for()
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="Go to your home page"))
    assert page.url.endswith("/")
