"""The menu links only pages the reader can open, and a refused page explains itself without naming any record."""

import pytest
from django.urls import reverse

from apps.accounts.navigation import PORTAL_NAV, STAFF_NAV, navigation_for
from apps.accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = ["therapist", "front_desk", "billing", "admin", "patient_user"]


@pytest.mark.parametrize("who", PERSONAS)
def test_every_menu_link_opens_for_the_person_it_is_shown_to(personas, login, who):
    user = getattr(personas, who)
    client = login(user)
    answers = {item["url"]: client.get(item["url"]).status_code for item in navigation_for(user)}
    assert answers, "everyone has a menu"
    assert {url: code for url, code in answers.items() if code >= 400} == {}


def test_a_person_with_two_roles_can_open_every_link_too(login):
    user = UserFactory(email="both@example.test", roles=[Role.ADMIN, Role.THERAPIST])
    client = login(user)
    assert {item["label"] for item in navigation_for(user)} >= {"My day", "Unsigned notes", "Users"}
    assert all(client.get(item["url"]).status_code < 400 for item in navigation_for(user))


@pytest.mark.parametrize("who", PERSONAS)
def test_pages_left_off_a_menu_are_the_ones_that_would_refuse(personas, login, who):
    """The other side of the rule: a staff page missing from someone's menu would answer them 403."""
    user = getattr(personas, who)
    client = login(user)
    shown = {item["url"] for item in navigation_for(user)}
    menu = STAFF_NAV if user.is_clinic_staff else PORTAL_NAV
    for item in menu:
        url = reverse(item.url_name)
        if url not in shown and item.perm:
            assert client.get(url).status_code == 403, url


def test_front_desk_has_no_my_day_link_and_the_page_explains_itself(personas, login):
    client = login(personas.front_desk)
    assert "/schedule/my-day/" not in client.get("/").content.decode()

    response = client.get("/schedule/my-day/")

    body = response.content.decode()
    assert response.status_code == 403
    assert "My day is not available to you" in body
    assert "a therapist&#x27;s own sessions for the day" in body and "It is for Therapist only." in body
    assert "You are signed in as Front desk." in body
    assert 'href="/"' in body and "Go to your home page" in body
    assert 'aria-label="Main"' in body  # the page keeps the reader's own menu


def test_a_refused_page_off_the_menu_says_so_without_naming_the_record(personas, login):
    from tests.factories import AppointmentFactory

    session = AppointmentFactory(therapist=personas.therapist, patient=personas.patient)
    response = login(personas.billing).post(reverse("scheduling:appointment_cancel", args=[session.pk]), {})
    body = response.content.decode()
    assert response.status_code == 403
    assert "This is not available to you" in body and "You are signed in as Billing." in body
    for private in (personas.patient.display_name, personas.patient.chart_number, personas.patient.email):
        assert private not in body


def test_a_patient_is_refused_in_the_portal_layout_with_a_way_home(personas, login):
    response = login(personas.patient_user).get("/schedule/")
    body = response.content.decode()
    assert response.status_code == 403
    assert "Calendar is not available to you" in body and "You are signed in as Patient." in body
    assert "My care" in body and 'href="/"' in body


def test_the_api_keeps_its_own_error_body(personas, login):
    response = login(personas.billing, api=True).post("/api/patients/", {}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
