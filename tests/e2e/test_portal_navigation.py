"""Everything a patient does is at most two taps from the portal home, on a phone and on a desktop."""

import pytest
from playwright.sync_api import expect

from apps.accounts.navigation import navigation_for
from apps.outcomes.instruments import INSTRUMENTS
from tests.e2e.conftest import DESKTOP, PHONE, session_start
from tests.e2e.world import portal_world

pytestmark = pytest.mark.django_db(transaction=True)


def _patient_tasks(world) -> list[tuple[str, list[str], str]]:
    """(task, links to follow from the home page, the control that does it)."""
    return [
        ("join the video session", [], "link:Join the video session"),
        ("cancel a session", ["All your sessions", "Cancel this session…"], "button:Cancel the session"),
        ("pay the balance", ["Pay now"], "button:Pay by card"),
        (
            "apply for a sliding-scale fee",
            ["Charges, receipts and statements", "Apply for a sliding-scale fee"],
            "button:Submit application",
        ),
        ("see receipts and statements", ["Charges, receipts and statements"], "heading:Receipts"),
        ("enroll in a program", ["See programs", world.open_program.title], "button:Enroll"),
        ("see the place on a waitlist", [], "text:you are #1 on the waitlist"),
        (
            "wait for a weekly time with a therapist",
            ["See programs", "Waiting for a weekly time with a therapist?"],
            "button:Join the waitlist",
        ),
        (
            "answer a questionnaire",
            ["Answer now", INSTRUMENTS[world.questionnaire.instrument].name],
            "button:Send answers",
        ),
        ("write in the journal", ["Your journal"], "button:Save entry"),
        ("write to the clinic", ["Messages", "New message"], "button:Send message"),
        (
            "change reminders and contact details",
            ["Change contact details and reminders"],
            "button:Save reminder choices",
        ),
    ]


def _find(page, control: str):
    kind, name = control.split(":", 1)
    if kind == "text":
        return page.get_by_text(name)
    return page.get_by_role(kind, name=name)


def test_every_patient_task_is_two_taps_from_home_and_the_phone_menu_opens_every_area(page, personas, settings):
    settings.CLINIC_PAYMENT_BACKEND = "stripe"  # a clinic that takes card payments online: "Pay by card" is a task
    world = portal_world(personas)
    session_start(page, personas.patient_user)

    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        for task, links, control in _patient_tasks(world):
            page.goto("/portal/")
            for name in links:
                page.get_by_role("main").get_by_role("link", name=name).first.click()
            expect(_find(page, control).first, f"{task} at {viewport['width']} px").to_be_visible()

    # The phone menu: every area is the Menu button and one tap; Escape closes it and gives focus back.
    page.set_viewport_size(PHONE)
    menu_button = page.get_by_role("button", name="Menu")
    menu = page.get_by_role("navigation", name="Main")
    expect(menu).to_be_hidden()
    for item in navigation_for(personas.patient_user):
        menu_button.click()
        expect(menu_button).to_have_attribute("aria-expanded", "true")
        menu.get_by_role("link", name=item["label"], exact=True).click()
        page.wait_for_url(f"**{item['url']}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    menu_button.click()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(menu_button).to_be_focused()
