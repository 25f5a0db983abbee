"""A visitor registers for a public lecture with a name and an email and sees the confirmation; a second visitor,
finding it full, joins the waitlist; a third joins the interest list of a series still being planned, and leaves
it. No account, no chart; axe-clean throughout."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from apps.programs.models import Enrollment, ProgramKind, PublicRegistrant
from apps.programs.services.lecture_terms import lecture_service_type
from tests.e2e.conftest import PHONE, assert_accessible
from tests.programs.factories import scheduled_program
from tests.programs.formation_helpers import proposed_program

pytestmark = pytest.mark.django_db(transaction=True)


def register(page, *, name: str, email: str) -> None:
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your email").fill(email)
    page.get_by_label("Reduced price").check()
    page.get_by_label("Email me about this lecture series").check()
    page.get_by_role("button", name="Register").click()


def test_a_visitor_registers_and_the_next_one_joins_the_waitlist(new_page, personas):
    scheduled_program(
        actor=personas.admin,
        capacity=1,
        title="Pain is real — and reversible",
        kind="lecture",
        service_type=lecture_service_type(),
        fee_mode="sliding",
        full_price=Decimal("20.00"),
        reduced_price=Decimal("5.00"),
    )
    page = new_page(PHONE)
    # The first page a fresh test server serves can hold its deferred scripts past the timeout on a busy machine;
    # every check below waits for what it needs.
    page.goto("/lectures/", wait_until="domcontentloaded")
    assert_accessible(page)
    page.get_by_role("link", name="Pain is real — and reversible").click()
    expect(page.get_by_text("Seats are available.")).to_be_visible()
    assert_accessible(page)
    register(page, name="Robin Visitor", email="robin@example.test")
    expect(page.get_by_role("heading", name="You are registered")).to_be_visible()
    expect(page.get_by_text("We sent a confirmation to")).to_be_visible()
    assert_accessible(page)

    phone = new_page()
    phone.goto("/lectures/")
    phone.get_by_role("link", name="Pain is real — and reversible").click()
    expect(phone.get_by_text("All 1 seats are taken")).to_be_visible()
    register(phone, name="Sam Visitor", email="sam@example.test")
    expect(phone.get_by_role("heading", name="You are on the waitlist")).to_be_visible()
    expect(phone.get_by_text("You are number 1 in line")).to_be_visible()
    assert_accessible(phone)

    assert sorted(Enrollment.objects.values_list("status", flat=True)) == ["enrolled", "waitlisted"]
    assert PublicRegistrant.objects.count() == 2


def test_a_visitor_joins_the_interest_list_of_a_planned_series(new_page, personas):
    program = proposed_program(
        actor=personas.admin,
        kind=ProgramKind.LECTURE,
        title="The body keeps the score — a planned series",
        capacity=20,
        minimum_to_launch=8,
    )
    page = new_page(PHONE)
    page.goto("/lectures/", wait_until="domcontentloaded")
    expect(page.get_by_text("Goes ahead if 8 people are interested")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="The body keeps the score — a planned series").click()
    expect(page.get_by_role("heading", name="Join the interest list")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Your name").fill("Robin Visitor")
    page.get_by_label("Your email").fill("robin@example.test")
    page.get_by_label("Email me about this lecture series").check()
    page.get_by_role("button", name="Join the interest list").click()
    expect(page.get_by_role("heading", name="You are on the interest list")).to_be_visible()
    expect(page.get_by_text("you are number 1 on the interest list")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Leave the interest list…").click()
    expect(page.get_by_role("heading", name="Leave the interest list?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, leave the list").click()
    expect(page.get_by_text("is cancelled")).to_be_visible()
    assert program.enrollments.get().status == "withdrawn"
