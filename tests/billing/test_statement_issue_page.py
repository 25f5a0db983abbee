"""Issuing last month's statement from the account page: once per month, and the page says so when it was issued
already instead of claiming to issue it again."""

import pytest

from apps.billing.models import Statement
from apps.notifications.models import Message

pytestmark = pytest.mark.django_db


def test_issuing_twice_says_the_statement_was_issued_already_and_sends_nothing_again(personas, login):
    client = login(personas.billing)
    url = f"/billing/patients/{personas.patient.pk}/statements/"
    first = client.post(url, follow=True)
    assert "issued." in first.content.decode()
    emails = Message.objects.count()
    second = client.post(url, follow=True).content.decode()
    assert "was issued on" in second and "nothing was sent again" in second
    assert Statement.objects.filter(patient=personas.patient).count() == 1
    assert Message.objects.count() == emails


def test_the_account_page_offers_the_button_until_last_months_statement_is_issued(personas, login):
    client = login(personas.billing)
    page = f"/billing/patients/{personas.patient.pk}/"
    assert "Issue last month's statement" in client.get(page).content.decode()
    client.post(f"/billing/patients/{personas.patient.pk}/statements/")
    after = client.get(page).content.decode()
    assert "Issue last month's statement" not in after and "statement was issued on" in after
