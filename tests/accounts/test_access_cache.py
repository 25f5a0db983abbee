"""A user's roles and permissions are read from the database once and then kept in the cache, until they change."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import user_roles_set

pytestmark = pytest.mark.django_db


def _role_and_permission_queries(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return [
        q["sql"] for q in captured.captured_queries if '"auth_group"' in q["sql"] or '"auth_permission"' in q["sql"]
    ]


def _fresh(user) -> User:
    """The user as the next request loads it."""
    return User.objects.get(pk=user.pk)


def _a_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="audit", codename="view_accesslog")


def test_a_second_page_reads_no_roles_or_permissions_from_the_database(personas, login):
    client = login(personas.therapist)
    client.get("/")  # the menu asks for the therapist's permissions
    assert _role_and_permission_queries(client, "/") == []
    assert _role_and_permission_queries(client, "/patients/") == []


def test_a_role_taken_away_is_in_force_on_the_next_request(personas, login):
    client = login(personas.front_desk)
    assert client.get("/patients/").status_code == 200
    user_roles_set(actor=personas.admin, user=_fresh(personas.front_desk), roles=[])
    assert client.get("/patients/").status_code == 403
    assert _fresh(personas.front_desk).roles == set()


def test_roles_given_through_the_group_side_are_seen(personas):
    assert Role.ADMIN not in _fresh(personas.billing).roles
    Group.objects.get(name=Role.ADMIN).user_set.add(personas.billing)
    assert Role.ADMIN in _fresh(personas.billing).roles
    Group.objects.get(name=Role.ADMIN).user_set.clear()
    assert Role.ADMIN not in _fresh(personas.billing).roles


def test_a_groups_permissions_changing_reaches_its_members(personas):
    group = Group.objects.get(name=Role.BILLING)
    assert not _fresh(personas.billing).has_perm("audit.view_accesslog")
    group.permissions.add(_a_permission())
    assert _fresh(personas.billing).has_perm("audit.view_accesslog")
    _a_permission().group_set.remove(group)
    assert not _fresh(personas.billing).has_perm("audit.view_accesslog")
    group.permissions.add(_a_permission())
    _a_permission().group_set.clear()
    assert not _fresh(personas.billing).has_perm("audit.view_accesslog")


def test_a_users_own_permissions_changing_is_seen(personas):
    assert not _fresh(personas.billing).has_perm("audit.view_accesslog")
    personas.billing.user_permissions.add(_a_permission())
    assert _fresh(personas.billing).has_perm("audit.view_accesslog")
    _a_permission().user_set.clear()
    assert not _fresh(personas.billing).has_perm("audit.view_accesslog")


def test_a_renamed_group_renames_its_members_role(personas):
    assert _fresh(personas.billing).roles == {Role.BILLING}
    group = Group.objects.get(name=Role.BILLING)
    group.name = "billing-retired"
    group.save()
    assert _fresh(personas.billing).roles == {"billing-retired"}


def test_a_user_made_superuser_is_granted_every_permission(personas):
    assert not _fresh(personas.billing).has_perm("audit.view_accesslog")
    User.objects.filter(pk=personas.billing.pk).update(is_superuser=True)
    assert _fresh(personas.billing).has_perm("audit.view_accesslog")


def test_when_the_cache_is_down_the_database_answers(personas, settings):
    # A real Redis client pointed at a port nothing listens on: every cache call fails to connect.
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"},
    }
    assert _fresh(personas.front_desk).roles == {Role.FRONT_DESK}


class _Undone(Exception):
    pass


def test_roles_read_inside_a_change_that_is_rolled_back_are_not_kept(personas):
    """A role given and read in one transaction that then rolls back (a later check refused the change) never
    existed: the next request must not find it kept in the cache."""
    with pytest.raises(_Undone), transaction.atomic():
        Group.objects.get(name=Role.ADMIN).user_set.add(personas.billing)
        assert Role.ADMIN in _fresh(personas.billing).roles  # read (and, before, kept) while uncommitted
        raise _Undone
    assert Role.ADMIN not in _fresh(personas.billing).roles


def test_roles_read_inside_a_transaction_that_changed_nobodys_roles_are_kept(personas):
    with transaction.atomic():
        assert Role.BILLING in _fresh(personas.billing).roles
    with CaptureQueriesContext(connection) as captured:
        assert Role.BILLING in _fresh(personas.billing).roles
    assert not [q for q in captured.captured_queries if '"auth_group"' in q["sql"]]
