"""Download records: a patient takes their record as a PDF and as JSON from the portal on a phone; an administrator
produces the same record from the patient's page for a records request. The PDF is asked for, made by the worker
(here the test runs the job the page queued) and offered on the page, which refreshes itself until it is ready."""

import json

import pytest
from playwright.sync_api import expect

from apps.audit.models import AccessLog
from tests.e2e.conftest import PHONE, assert_accessible, follow, session_start
from tests.e2e.world import portal_world

pytestmark = pytest.mark.django_db(transaction=True)


def _download(page, button) -> bytes:
    with page.expect_download() as info:
        button.click()
    return open(info.value.path(), "rb").read()


def _prepared(page, ask, records_worker) -> bytes:
    """Ask for the PDF, see it being prepared, run the job it queued, and download it once the page offers it."""
    follow(page, ask)
    expect(page.get_by_text("being prepared", exact=False).first).to_be_visible()
    assert len(records_worker.queued) == 1
    records_worker.run()
    download = page.get_by_role("button", name="Download", exact=True)
    expect(download).to_be_visible(timeout=20_000)  # the page's own refresh, every 5 seconds
    return _download(page, download)


def test_patient_downloads_their_records_as_pdf_and_json(new_page, personas, records_worker):
    world = portal_world(personas)
    phone = new_page(PHONE)
    session_start(phone, personas.patient_user)

    phone.get_by_role("button", name="Menu").click()
    follow(phone, phone.get_by_role("navigation", name="Main").get_by_role("link", name="Records", exact=True))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your records")
    assert_accessible(phone)

    pdf = _prepared(phone, phone.get_by_role("button", name="Prepare a PDF"), records_worker)
    assert pdf.startswith(b"%PDF")
    record = json.loads(_download(phone, phone.get_by_role("button", name="Download as a data file (JSON)")))
    assert record["patient"]["chart_number"] == personas.patient.chart_number
    assert [entry["text"] for entry in record["journal"]] == ["The ache moved to my shoulders today."]
    assert [row["status"] for row in record["sessions"]] == ["completed", "booked"]
    assert record["payments"][0]["receipt_number"] == world.payment.receipt_number
    assert record["session_notes"] == []
    formats = sorted(AccessLog.objects.filter(action="records_download").values_list("detail__format", flat=True))
    assert formats == ["json", "pdf"]


def test_an_administrator_answers_a_records_request_from_the_patient_page(page, personas, records_worker):
    portal_world(personas)
    session_start(page, personas.admin, open_home=False)
    page.goto(f"/patients/{personas.patient.pk}/")
    assert_accessible(page)

    pdf = _prepared(page, page.get_by_role("button", name="Records request (PDF)"), records_worker)
    assert pdf.startswith(b"%PDF")
    record = json.loads(_download(page, page.get_by_role("button", name="Records request (JSON)")))
    assert record["patient"]["chart_number"] == personas.patient.chart_number
    assert AccessLog.objects.filter(action="records_download", actor=personas.admin).count() == 2
