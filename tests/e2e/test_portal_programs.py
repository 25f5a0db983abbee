"""A full group: the patient joins its waitlist, a member leaves, the seat offer appears and the patient accepts."""

import pytest
from playwright.sync_api import expect

from apps.programs.models import Enrollment
from apps.programs.services.seats import program_enroll
from tests.e2e.conftest import PHONE, assert_accessible, follow, session_start
from tests.programs.factories import scheduled_program

pytestmark = pytest.mark.django_db(transaction=True)


def test_patient_waits_for_a_full_group_and_accepts_the_seat_that_frees(page, new_page, personas):
    program = scheduled_program(actor=personas.admin, capacity=1, title="TMS recovery group")
    program_enroll(actor=personas.other_patient_user, program=program, patient=personas.other_patient)

    phone = new_page(PHONE)
    session_start(phone, personas.patient_user)
    follow(phone, phone.get_by_role("region", name="Group programs").get_by_role("link", name="See programs"))
    assert_accessible(phone)
    phone.get_by_role("link", name="TMS recovery group").click()
    phone.get_by_text("The program is full").wait_for()
    assert_accessible(phone)
    phone.get_by_role("button", name="Join the waitlist").click()
    phone.get_by_text("You are on the waitlist for TMS recovery group").wait_for()
    phone.goto("/portal/")
    programs_card = phone.get_by_role("region", name="Group programs")
    programs_card.get_by_text("you are #1 on the waitlist").wait_for()

    # The member with the seat leaves through their own portal.
    session_start(page, personas.other_patient_user)
    page.get_by_role("region", name="Group programs").get_by_role("link", name="TMS recovery group").click()
    page.get_by_role("button", name="Withdraw from the program…").click()
    page.get_by_role("heading", name="Withdraw from TMS recovery group?").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, withdraw").click()
    page.get_by_text("You have left TMS recovery group.").wait_for()

    phone.reload()
    waiting = phone.get_by_role("region", name="Waiting for your answer")
    expect(waiting).to_contain_text("A seat in TMS recovery group is held for you until")
    expect(phone.get_by_role("region", name="Group programs")).to_contain_text("a seat is held for you until")
    assert_accessible(phone)
    waiting.get_by_role("link", name="Accept or decline").click()
    phone.get_by_text("A seat is held for you until").wait_for()
    assert_accessible(phone)
    phone.get_by_role("button", name="Accept the seat").click()
    phone.get_by_text("Your seat in TMS recovery group is confirmed.").wait_for()
    assert_accessible(phone)

    assert Enrollment.objects.get(patient=personas.patient, program=program).status == "enrolled"
    phone.goto("/portal/")
    expect(phone.get_by_role("region", name="Group programs")).to_contain_text("TMS recovery group: enrolled")
    expect(phone.get_by_role("region", name="Waiting for your answer")).to_have_count(0)
