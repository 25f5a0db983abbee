"""Two patients who each asked for the same new sign-in email confirm at the same moment: each sees it free before
either saves, and the database's unique address decides. One signs in with it, the other is refused (409)."""

import pytest

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import sign_in_email_change_ask, sign_in_email_change_confirm
from apps.accounts.sign_in_email_links import confirm_token
from apps.core.errors import Conflict
from tests.factories import UserFactory
from tests.locking import at_once

pytestmark = pytest.mark.django_db(transaction=True)

WANTED = "shared.family@example.test"


def test_two_accounts_confirming_the_same_address_at_once_leave_it_to_one():
    first, second = UserFactory(roles=[Role.PATIENT]), UserFactory(roles=[Role.PATIENT])
    tokens = [confirm_token(sign_in_email_change_ask(user=user, email=WANTED)) for user in (first, second)]

    outcomes = at_once(
        lambda: sign_in_email_change_confirm(user=first, token=tokens[0]),
        lambda: sign_in_email_change_confirm(user=second, token=tokens[1]),
    )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Conflict", "User"]
    refused = next(outcome for outcome in outcomes if isinstance(outcome, Conflict))
    assert refused.message == "Another account already signs in with this email address."
    assert User.objects.filter(email=WANTED).count() == 1
