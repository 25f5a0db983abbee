"""Pages that only show something answer a POST with 405 Method Not Allowed, not with the page as if the form it
does not have had been sent."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PUBLIC = ["/lectures/", "/lectures/registration/not-a-token/", "/billing/what-will-i-pay/"]

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
    "/messages/",
    "/patients/",
    "/patients/1/",
    "/portal/billing/",
    "/portal/billing/estimates/1/",
    "/portal/billing/estimates/1/pdf/",
    "/portal/billing/pay/1/return/",
    "/portal/billing/receipts/1/",
    "/portal/billing/statements/1/",
    "/portal/billing/statements/1/pdf/",
    "/portal/billing/superbill/",
    "/portal/programs/",
    "/portal/programs/1/",
    "/portal/sessions/",
    "/programs/",
    "/programs/1/",
    "/programs/work-queue/",
    "/schedule/",
    "/schedule/appointments/1/",
    "/schedule/availability/",
    "/schedule/calendar-feed/",
    "/schedule/locations/",
    "/schedule/my-day/",
]


@pytest.fixture
def signed_in(login):
    """Any user will do: the 405 comes before any permission check or lookup."""
    return login(UserFactory())


@pytest.mark.parametrize("path", PUBLIC)
def test_a_post_to_a_public_page_that_only_shows_is_not_allowed(client, path):
    assert client.post(path).status_code == 405


@pytest.mark.parametrize("path", SIGNED_IN)
def test_a_post_to_a_staff_or_portal_page_that_only_shows_is_not_allowed(signed_in, path):
    assert signed_in.post(path).status_code == 405
