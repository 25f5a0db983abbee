"""`bench.request_cost` sends each page it measures as the benchmark does: the staff pages as the chart patients'
treating therapists past the MFA check, the portal home as patients with sessions ahead, the week calendar as the
front desk for the weeks around today, every one answered 200 (a page refused or broken would be timed as fast)."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from bench import request_cost, seed_large

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_as_owner")]


@pytest.fixture
def clinic():
    call_command(seed_large.Command(), scale=0.01, weeks=12, stdout=io.StringIO())


@pytest.mark.parametrize(("kind", "sent"), [("details", 2), ("chart", 2), ("portal", 2), ("calendar", 8)])
def test_each_page_is_sent_as_its_reader_and_answered(clinic, kind, sent):
    with override_settings(ROOT_URLCONF="bench.framework", ALLOWED_HOSTS=["testserver"]):
        sends = request_cost.senders(kind, user="", patients=2)
        result = request_cost.measure(kind, sends, requests=2)

    assert len(sends) == sent
    assert result["queries"] > 3
    assert any("patients_patient" in sql for sql in result["sql"])
