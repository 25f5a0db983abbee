"""Send a message: the patient writes from their phone, the front desk reads and replies, the patient sees the
reply and that the clinic read theirs. Every page on the way passes axe."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible, follow, session_start

pytestmark = pytest.mark.django_db(transaction=True)


def _open_from_menu(page, name: str) -> None:
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name=name))


def test_send_a_message(page, new_page, personas):
    patient = page
    patient.set_viewport_size(PHONE)
    session_start(patient, personas.patient_user)
    follow(patient, patient.get_by_role("main").get_by_role("link", name="Messages"))
    expect(patient.get_by_role("note", name="Not for emergencies")).to_contain_text("988")
    assert_accessible(patient)
    follow(patient, patient.get_by_role("link", name="New message"))
    assert_accessible(patient)
    patient.get_by_label("Subject").fill("Parking on Thursday")
    patient.get_by_label("Your message").fill("Where should I park for my Thursday session?")
    follow(patient, patient.get_by_role("button", name="Send message"))
    expect(patient.get_by_role("heading", level=1)).to_have_text("Parking on Thursday")
    expect(patient.get_by_text("Not read yet")).to_be_visible()
    assert_accessible(patient)

    desk = new_page(DESKTOP)
    session_start(desk, personas.front_desk)
    inbox_link = desk.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox")
    expect(inbox_link).to_contain_text("1")
    follow(desk, inbox_link)
    desk.get_by_label("Unread only").check()
    follow(desk, desk.get_by_role("button", name="Show"))
    assert_accessible(desk)
    follow(desk, desk.get_by_role("link", name="Parking on Thursday"))
    expect(desk.get_by_text("Where should I park for my Thursday session?")).to_be_visible()
    assert_accessible(desk)
    desk.get_by_label("Your message").fill("Use the lot behind the building; the code is on your reminder.")
    follow(desk, desk.get_by_role("button", name="Send reply"))
    expect(desk.get_by_text("Reply sent.")).to_be_visible()
    expect(desk.get_by_text("Not read yet")).to_be_visible()

    patient.reload()
    expect(patient.get_by_text("Use the lot behind the building")).to_be_visible()
    expect(patient.get_by_text("Read by the clinic")).to_be_visible()
    assert_accessible(patient)

    desk.reload()
    expect(desk.get_by_text("Read by the patient")).to_be_visible()
    follow(desk, desk.get_by_role("link", name="Close conversation…"))
    assert_accessible(desk)
    follow(desk, desk.get_by_role("button", name="Close conversation"))
    expect(desk.get_by_text("Conversation closed.")).to_be_visible()
