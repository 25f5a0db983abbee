"""A patient moves their portal sign-in to another address in the browser: a wrong password is refused on the page,
the right one sends a link to the new address, the link's page asks before it changes anything, and from then on the
patient signs in with the new address, not the old one."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, follow, sign_in, sign_out
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

NEW = "alex.moved@example.test"


def test_a_patient_signs_in_with_a_new_address_once_they_confirm_it(new_page, personas, accounts_worker):
    user, old = personas.patient_user, personas.patient_user.email
    page = new_page()
    sign_in(page, user)
    page.goto("/portal/settings/")
    page.get_by_label("New email you sign in with").fill(NEW)
    page.get_by_label("Your password").fill("not-the-password")
    follow(page, page.get_by_role("button", name="Email me a link"))
    expect(page.locator("#error-summary")).to_be_in_viewport()
    expect(page.get_by_text("That is not your password. The email you sign in with is unchanged.")).to_be_visible()
    assert not accounts_worker.queued

    page.get_by_label("New email you sign in with").fill(NEW)
    page.get_by_label("Your password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Email me a link"))
    expect(page.get_by_text(f"We emailed a link to {NEW}.")).to_be_visible()
    assert_accessible(page)

    mail.outbox.clear()
    accounts_worker.run()
    (message,) = mail.outbox
    assert message.to == [NEW]
    page.goto(re.search(r"https?://\S+/portal/settings/sign-in-email/\S+/", message.body).group(0))
    expect(page.get_by_role("heading", name="Confirm your new sign-in email")).to_be_visible()
    expect(page.get_by_label("Also use it for reminders and receipts")).to_be_checked()
    assert_accessible(page)
    follow(page, page.get_by_role("button", name=f"Sign in with {NEW}"))
    assert page.url.endswith("/portal/settings/")

    sign_out(page)
    page.get_by_label("Email").fill(old)
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()  # the old address signs in no more

    user.email = NEW
    sign_in(page, user)
    page.goto("/portal/settings/")
    expect(page.get_by_text(f"You sign in with {NEW}.")).to_be_visible()
    expect(page.get_by_label("Email for reminders and receipts")).to_have_value(NEW)
