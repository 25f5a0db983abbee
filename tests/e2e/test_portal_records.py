"""Download records: a patient takes their record as a PDF and as JSON from the portal on a phone; an administrator
produces the same record from the patient's page for a records request."""

import json

import pytest
from playwright.sync_api import expect

from apps.audit.models import AccessLog
from tests.e2e.conftest import PHONE, assert_accessible, follow, sign_in
from tests.e2e.world import portal_world

pytestmark = pytest.mark.django_db(transaction=True)


def _download(page, button) -> bytes:
    with page.expect_download() as info:
        button.click()
    return open(info.value.path(), "rb").read()


def test_patient_downloads_their_records_as_pdf_and_json(new_page, personas):
    world = portal_world(personas)
    phone = new_page(PHONE)
    sign_in(phone, personas.patient_user)

    phone.get_by_role("button", name="Menu").click()
    follow(phone, phone.get_by_role("navigation", name="Main").get_by_role("link", name="Records", exact=True))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your records")
    assert_accessible(phone)

    pdf = _download(phone, phone.get_by_role("button", name="Download as PDF"))
    assert pdf.startswith(b"%PDF")
    record = json.loads(_download(phone, phone.get_by_role("button", name="Download as a data file (JSON)")))
    assert record["patient"]["chart_number"] == personas.patient.chart_number
    assert [entry["text"] for entry in record["journal"]] == ["The ache moved to my shoulders today."]
    assert [row["status"] for row in record["sessions"]] == ["completed", "booked"]
    assert record["payments"][0]["receipt_number"] == world.payment.receipt_number
    assert record["session_notes"] == []
    formats = sorted(AccessLog.objects.filter(action="records_download").values_list("detail__format", flat=True))
    assert formats == ["json", "pdf"]


def test_an_administrator_answers_a_records_request_from_the_patient_page(page, personas):
    portal_world(personas)
    sign_in(page, personas.admin)
    page.goto(f"/patients/{personas.patient.pk}/")
    assert_accessible(page)

    pdf = _download(page, page.get_by_role("button", name="Records request (PDF)"))
    assert pdf.startswith(b"%PDF")
    record = json.loads(_download(page, page.get_by_role("button", name="Records request (JSON)")))
    assert record["patient"]["chart_number"] == personas.patient.chart_number
    assert AccessLog.objects.filter(action="records_download", actor=personas.admin).count() == 2
