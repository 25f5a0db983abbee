"""On a phone, a portal form sent back refused opens with the summary in view, in the patient's words, and its link
leads to the answer to fix; the page still fits the screen and passes axe."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, assert_accessible, follow, session_start

pytestmark = pytest.mark.django_db(transaction=True)


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_blank_journal_entry_and_an_empty_message_on_a_phone(new_page, personas):
    patient = new_page(PHONE)
    session_start(patient, personas.patient_user, open_home=False)

    patient.goto("/portal/journal/")
    follow(patient, patient.get_by_role("button", name="Save entry"))
    summary = patient.locator("#error-summary")
    expect(summary).to_contain_text("Some answers need attention")
    expect(summary).to_be_in_viewport()
    expect(patient.get_by_text("Fill in “What is on your mind?”")).to_be_visible()
    summary.get_by_role("link", name="Go to the first answer to fix").click()
    expect(patient.get_by_label("What is on your mind?")).to_be_in_viewport()
    _fits_the_phone(patient)
    assert_accessible(patient)

    patient.goto("/portal/messages/new/")
    follow(patient, patient.get_by_role("button", name="Send message"))
    expect(patient.locator("#error-summary")).to_be_in_viewport()
    expect(patient.get_by_text("Fill in “Subject”.")).to_be_visible()
    expect(patient.get_by_text("Fill in “Your message”.")).to_be_visible()
    _fits_the_phone(patient)
    assert_accessible(patient)
