"""Someone who opens an address that only takes a form's POST (a reload, Back, an old bookmark, a pasted link) sees
a page in the site's layout that says nothing was done, with a way back, instead of the browser's bare error page.
The status stays 405 with its Allow header; the API keeps its JSON 405."""

import pytest

pytestmark = pytest.mark.django_db

HEADING = "This page is the end of a form"
NOTHING_DONE = "Nothing was done or changed by opening it"

# (who, an address that only takes a POST): staff, portal and signed-out visitors.
FORM_ENDS = [
    ("billing", "/billing/payments/1/refund/"),
    ("billing", "/billing/adjustments/1/reverse/"),
    ("billing", "/billing/patients/1/adjustments/"),
    ("therapist", "/schedule/calendar-feed/issue/"),
    ("admin", "/accounts/tokens/1/revoke/"),
    ("patient_user", "/portal/settings/contact/"),
    ("patient_user", "/portal/settings/two-step/off/"),
    (None, "/accounts/logout/"),
    (None, "/messages/twilio/status/"),
]


@pytest.fixture
def visit(personas, login, client):
    """visit(persona) -> a client signed in as that persona, or signed out for None."""
    return lambda persona: login(getattr(personas, persona)) if persona else client


@pytest.mark.parametrize(("persona", "path"), FORM_ENDS)
def test_opening_an_address_that_only_takes_a_form_shows_a_page_with_the_way_home(visit, persona, path):
    response = visit(persona).get(path)
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert HEADING in page
    assert NOTHING_DONE in page
    assert 'href="/"' in page


def test_a_portal_user_sees_it_in_the_portals_layout(personas, login):
    page = login(personas.patient_user).get("/portal/settings/contact/").content.decode()
    assert 'class="portal"' in page
    assert "My care" in page


def test_staff_see_it_in_the_staff_layout(personas, login):
    page = login(personas.billing).get("/billing/payments/1/refund/").content.decode()
    assert "Clinic · Staff" in page
    assert 'class="portal"' not in page


def test_the_link_leads_back_to_the_page_on_this_site_the_visitor_came_from(personas, login):
    response = login(personas.billing).get(
        "/billing/payments/1/refund/", HTTP_REFERER="http://testserver/billing/patients/7/?tab=ledger"
    )
    assert response.status_code == 405
    assert 'href="/billing/patients/7/?tab=ledger"' in response.content.decode()


@pytest.mark.parametrize(
    "referer",
    [
        "https://elsewhere.example/phish",
        "//elsewhere.example/phish",
        "http://testserver.elsewhere.example/billing/",
        "javascript:alert(1)",
        "http://testserver/billing/payments/1/refund/",  # the address itself: a link back would lead here again
    ],
)
def test_a_referer_off_this_site_or_to_the_same_address_is_ignored_for_home(personas, login, referer):
    response = login(personas.billing).get("/billing/payments/1/refund/", HTTP_REFERER=referer)
    page = response.content.decode()
    assert response.status_code == 405
    assert "elsewhere" not in page
    assert "javascript:" not in page
    assert "/billing/payments/1/refund/" not in page
    assert 'href="/"' in page


def test_the_page_shows_nothing_of_the_record_the_address_names(personas, login):
    response = login(personas.billing).get(f"/billing/patients/{personas.patient.pk}/adjustments/")
    page = response.content.decode()
    assert response.status_code == 405
    assert HEADING in page
    assert personas.patient.legal_last_name not in page
    assert personas.patient_user.email not in page


def test_the_api_still_answers_json(personas, login):
    response = login(personas.admin, api=True).get(f"/api/patients/{personas.patient.pk}/discharge/")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert HEADING not in response.content.decode()


def test_a_request_that_asks_for_json_keeps_the_plain_answer(personas, login):
    response = login(personas.billing).get("/billing/payments/1/refund/", HTTP_ACCEPT="application/json")
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    assert response.content == b""
