"""The clinic keeps an active admin under real concurrency: two admins deactivating each other at the same moment,
threads on real Postgres released together by a barrier."""

import pytest

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import staff_deactivate, staff_roles_change
from apps.core.errors import Conflict
from tests.factories import UserFactory
from tests.locking import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_admins_deactivating_each_other_at_once_leave_one_active():
    first, second = UserFactory(roles=[Role.ADMIN]), UserFactory(roles=[Role.ADMIN])
    outcomes = at_once(
        lambda: staff_deactivate(actor=first, user=second),
        lambda: staff_deactivate(actor=second, user=first),
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "User"]
    assert User.objects.filter(groups__name=Role.ADMIN, is_active=True).count() == 1


def test_two_admins_dropping_each_others_admin_role_at_once_leave_one_admin():
    first, second = UserFactory(roles=[Role.ADMIN]), UserFactory(roles=[Role.ADMIN])
    outcomes = at_once(
        lambda: staff_roles_change(actor=first, user=second, roles=[Role.FRONT_DESK]),
        lambda: staff_roles_change(actor=second, user=first, roles=[Role.FRONT_DESK]),
    )
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1
    assert User.objects.filter(groups__name=Role.ADMIN, is_active=True).count() == 1
