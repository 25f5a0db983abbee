"""A capacity below the seats taken, typed on the program page, is refused in the browser as it is on paper: the page
comes back (409) with the reason at its top, the number typed still in the field and the focus on it, and the
capacity as it was."""

import pytest
from playwright.sync_api import expect

from apps.programs.models import GroupProgram
from apps.programs.services.seats import program_enroll
from tests.e2e.conftest import assert_accessible, follow, session_start
from tests.factories import PatientFactory
from tests.programs.factories import ProgramFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_capacity_below_the_seats_taken_is_refused_on_the_page_in_words(page, personas, shots):
    program = ProgramFactory(capacity=3)
    for _ in range(3):
        program_enroll(actor=personas.front_desk, program=program, patient=PatientFactory())
    session_start(page, personas.front_desk, open_home=False)
    page.goto(f"/programs/{program.pk}/")

    page.get_by_label("Capacity").fill("2")
    with page.expect_response(f"**/programs/{program.pk}/capacity/") as answer:
        follow(page, page.get_by_role("button", name="Change capacity"))

    assert answer.value.status == 409
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(
        "The capacity was not changed. 3 seats are taken or offered; the capacity cannot go below that."
    )
    field = page.get_by_label("Capacity")
    expect(field).to_have_value("2")
    expect(field).to_be_focused()
    expect(page.get_by_text("At least 3.")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=shots / "program-capacity-refused.png", full_page=False)
    assert GroupProgram.objects.get(pk=program.pk).capacity == 3
