"""A therapist shares a journaling prompt from the patient's chart; the patient opens it in the portal on their
phone, writes an entry and marks it done; the therapist sees the progress on the chart and reads the entry. Every
page on the way passes axe."""

import pytest
from playwright.sync_api import expect

from apps.education.models import ItemKind
from apps.education.services import library_item_create
from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible, follow, session_start

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "What was happening in your life when the pain began?"


def test_a_journaling_prompt_from_chart_to_portal_and_back(page, new_page, personas):
    library_item_create(
        actor=personas.admin,
        title=PROMPT,
        kind=ItemKind.JOURNALING_PROMPT,
        description="Think back to the months before the pain started.",
    )
    therapist = page
    session_start(therapist, personas.therapist, open_home=False)
    therapist.goto(f"/notes/patients/{personas.patient.pk}/chart/")
    panel = therapist.get_by_role("region", name="Education")
    expect(panel).to_contain_text("Nothing shared yet.")
    follow(therapist, panel.get_by_role("link", name="Share material"))
    assert_accessible(therapist)
    therapist.get_by_role("combobox", name="Material").select_option(label=f"{PROMPT} (Journaling prompt, Education)")
    therapist.get_by_label("Note to the patient (optional)").fill("Ten minutes a day is plenty.")
    follow(therapist, therapist.get_by_role("button", name="Share"))
    expect(therapist.get_by_text("Shared. The patient gets a notice")).to_be_visible()
    expect(therapist.get_by_role("region", name="Education")).to_contain_text("Not done")
    assert_accessible(therapist)

    patient = new_page(PHONE)
    session_start(patient, personas.patient_user)
    menu = patient.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    follow(patient, patient.get_by_role("navigation", name="Main").get_by_role("link", name="Library"))
    assert_accessible(patient)
    follow(patient, patient.get_by_role("link", name=PROMPT))
    expect(patient.get_by_text("Ten minutes a day is plenty.")).to_be_visible()
    assert_accessible(patient)
    patient.get_by_label("Your entry").fill("The pain began the spring my father was ill and I started the new job.")
    follow(patient, patient.get_by_role("button", name="Save entry"))
    expect(patient.get_by_text("Entry saved.")).to_be_visible()
    expect(patient.get_by_role("region", name="Your entries")).to_contain_text("my father was ill")
    follow(patient, patient.get_by_role("button", name="Mark done"))
    expect(patient.get_by_text("Marked done.")).to_be_visible()
    expect(patient.get_by_role("button", name="Mark not done")).to_be_visible()
    assert_accessible(patient)

    therapist.set_viewport_size(DESKTOP)
    therapist.reload()
    panel = therapist.get_by_role("region", name="Education")
    expect(panel).to_contain_text("Done")
    expect(panel).to_contain_text("1 entry")
    follow(therapist, panel.get_by_role("link", name=f"1 entry for {PROMPT}"))
    expect(therapist.get_by_role("region", name="Journal entries")).to_contain_text("my father was ill")
    assert_accessible(therapist)
