"""Pages that only show something answer a POST with 405 Method Not Allowed, not with the page as if the form it
does not have had been sent. A HEAD, which uptime monitors and link checkers send, is answered as the GET is (same
status, same redirect, no body), never with 405."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PUBLIC = [
    "/billing/what-will-i-pay/",
    "/lectures/",
    "/lectures/registration/not-a-token/",
    "/schedule/feed/not-a-token.ics",
]

SIGNED_IN = [
    "/",
    "/audit/access-log/",
    "/billing/",
    "/billing/assessments/",
    "/billing/assessments/1/proof/",
    "/billing/configuration/",
    "/billing/configuration/history/",
    "/billing/estimates/1/pdf/",
    "/billing/patients/1/",
    "/billing/patients/1/superbill/",
    "/billing/receipts/1/",
    "/billing/reports/aging/",
    "/billing/reports/sliding-scale/",
    "/billing/reports/sliding-scale.csv",
    "/billing/statements/1/pdf/",
    "/education/",
    "/education/1/file/",
    "/education/assignments/1/",
    "/inbox/",
    "/inbox/files/1/",
    "/intake/",
    "/intake/documents/",
    "/intake/signed/1/",
    "/ladder/report.csv",
    "/ladder/report/",
    "/messages/",
    "/notes/patients/1/chart/",
    "/notes/patients/1/chart/data/",
    "/notes/plans/1/",
    "/notes/unsigned/",
    "/outcomes/journal/1/",
    "/patients/",
    "/patients/1/",
    "/portal/",
    "/portal/billing/",
    "/portal/billing/estimates/1/",
    "/portal/billing/estimates/1/pdf/",
    "/portal/billing/pay/1/return/",
    "/portal/billing/receipts/1/",
    "/portal/billing/statements/1/",
    "/portal/billing/statements/1/pdf/",
    "/portal/billing/superbill/",
    "/portal/book/",
    "/portal/book/1/",
    "/portal/book/move/1/",
    "/portal/care/",
    "/portal/contact/",
    "/portal/forms/",
    "/portal/forms/signed/1/",
    "/portal/library/",
    "/portal/library/1/file/",
    "/portal/messages/",
    "/portal/messages/files/1/",
    "/portal/programs/",
    "/portal/programs/1/",
    "/portal/questionnaires/",
    "/portal/records/",
    "/portal/sessions/",
    "/portal/settings/",
    "/programs/",
    "/programs/1/",
    "/programs/work-queue/",
    "/referrals/",
    "/referrals/clearances/1/",
    "/referrals/inbound/1/",
    "/referrals/outbound/1/",
    "/referrals/outbound/1/letter.pdf",
    "/schedule/",
    "/schedule/appointments/1/",
    "/schedule/availability/",
    "/schedule/calendar-feed/",
    "/schedule/events/",
    "/schedule/locations/",
    "/schedule/my-day/",
]


@pytest.fixture
def signed_in(login):
    """Any user will do: the 405 comes before any permission check or lookup, and a HEAD reaches the same check or
    lookup as a GET (mostly a 403 or 404 for this user)."""
    return login(UserFactory())


@pytest.mark.parametrize("path", PUBLIC)
def test_a_post_to_a_public_page_that_only_shows_is_not_allowed(client, path):
    assert client.post(path).status_code == 405


@pytest.mark.parametrize("path", SIGNED_IN)
def test_a_post_to_a_staff_or_portal_page_that_only_shows_is_not_allowed(signed_in, path):
    assert signed_in.post(path).status_code == 405


def _answers_alike(first, second):
    """Status and where a redirect points: what a monitor or link checker reads from a HEAD."""
    return (first.status_code, first.get("Location")) == (second.status_code, second.get("Location"))


@pytest.mark.parametrize("path", PUBLIC)
def test_a_head_to_a_public_page_that_only_shows_answers_as_its_get(client, path):
    head, get = client.head(path), client.get(path)
    assert head.status_code != 405
    assert _answers_alike(head, get)


@pytest.mark.parametrize("path", SIGNED_IN)
def test_a_head_to_a_staff_or_portal_page_that_only_shows_answers_as_its_get(signed_in, path):
    head, get = signed_in.head(path), signed_in.get(path)
    assert head.status_code != 405
    assert _answers_alike(head, get)


# Someone who may see the page: a HEAD renders it as a GET does, and sends headers only. A page with a form (GET
# shows it, POST sends it) too, not 405: the HEAD reaches the view as a GET (audit.head_requests).
SEEN_BY = [
    ("front_desk", "/patients/"),
    ("front_desk", "/schedule/"),
    ("therapist", "/schedule/my-day/"),
    ("billing", "/billing/reports/sliding-scale.csv"),
    ("patient_user", "/portal/sessions/"),
    ("front_desk", "/schedule/series/new/"),
    ("front_desk", "/patients/new/"),
    ("patient_user", "/portal/journal/"),
    ("patient_user", "/portal/messages/new/"),
]


@pytest.mark.parametrize(("persona", "path"), SEEN_BY)
def test_a_head_from_someone_who_may_see_the_page_is_its_get_without_the_body(personas, login, persona, path):
    client = login(getattr(personas, persona))
    head, get = client.head(path), client.get(path)
    assert (head.status_code, get.status_code) == (200, 200)
    assert head["Content-Type"] == get["Content-Type"]
    assert head.content == b""


# DRF answers HEAD wherever it answers GET (a viewset list, an extra action, an APIView): kept that way.
API = ["/api/appointments/", "/api/notes/unsigned/", "/api/patients/1/care-level/"]


@pytest.mark.parametrize("path", API)
def test_the_api_answers_a_head_as_its_get(personas, login, path):
    api = login(personas.admin, api=True)
    head, get = api.head(path), api.get(path)
    assert head.status_code != 405
    assert _answers_alike(head, get)


# A POST to a page that only shows comes from a wrong form or a script, not from someone finding their way: it keeps
# the plain 405 (the page for the end of a form is for a GET that lands on a POST-only address).
@pytest.mark.parametrize("path", ["/billing/what-will-i-pay/", "/lectures/"])
def test_a_post_to_a_page_that_only_shows_keeps_the_plain_answer(client, path):
    response = client.post(path)
    assert response.status_code == 405
    assert "GET" in response["Allow"]
    assert response.content == b""
