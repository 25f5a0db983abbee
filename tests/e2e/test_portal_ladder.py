"""The care ladder in the browser: a patient sees where they are and what comes next on their portal home and their
"Your path" page; their therapist moves them up a rung on the clinical chart, with a reason, and the portal shows
the new rung."""

import pytest
from playwright.sync_api import expect

from apps.ladder.models import CareLevel
from apps.ladder.services import care_level_set
from tests.e2e.conftest import PHONE, assert_accessible, follow, session_start

pytestmark = pytest.mark.django_db(transaction=True)


def test_patient_sees_their_rung_and_the_therapist_moves_them_up(page, new_page, personas):
    care_level_set(
        patient=personas.patient, level=CareLevel.EDUCATION, reason="Start with the book", actor=personas.therapist
    )
    phone = new_page(PHONE)
    session_start(phone, personas.patient_user)

    card = phone.get_by_role("region", name="Where you are and what comes next")
    expect(card).to_contain_text("Learning about mind and body.")
    expect(card).to_contain_text("Next on your path: Lecture series.")
    follow(phone, card.get_by_role("link", name="Your path"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Where you are and what comes next")
    expect(phone.get_by_role("region", name="What comes next")).to_contain_text(
        "Talk to your therapist about moving on to lecture series."
    )
    assert_accessible(phone)

    session_start(page, personas.therapist, open_home=False)
    page.goto(f"/notes/patients/{personas.patient.pk}/chart/")
    panel = page.get_by_role("region", name="Care level")
    expect(panel).to_contain_text("Education")
    panel.get_by_label("Move to").select_option(label="Lecture series")
    panel.get_by_label("Why").fill("Finished the reading list; ready for the lectures.")
    follow(page, panel.get_by_role("button", name="Move"))
    expect(page.get_by_role("status")).to_contain_text("moved to Lecture series")
    panel = page.get_by_role("region", name="Care level")
    expect(panel.locator("dd").first).to_contain_text("Lecture series")
    panel.get_by_text("History of moves (2)").click()
    expect(panel).to_contain_text("Finished the reading list; ready for the lectures.")
    assert_accessible(page)

    phone.reload()
    expect(phone.get_by_role("region", name="Where you are")).to_contain_text("Lecture series")
    expect(phone.get_by_role("region", name="What comes next")).to_contain_text("Group program")
    assert_accessible(phone)


def test_the_ladder_report_and_its_chart_are_accessible(page, personas):
    care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason="Group fits", actor=personas.therapist)
    session_start(page, personas.admin)

    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Care ladder"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Ladder report")
    expect(page.get_by_role("img", name="People at each rung now")).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("Group program")
    assert_accessible(page)
