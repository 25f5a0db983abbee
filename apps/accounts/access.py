"""A user's roles and model permissions, kept in the cache between requests.

Every signed-in request needs the user's roles (the MFA check, the menu) and most staff pages their permissions
(the menu's entries); reading them from the database costs three queries per request. They change only when an
admin changes someone's roles or a group's permissions, so they are kept in Redis per user and forgotten when:

- a user's groups or own permissions change, or a group's permissions change (m2m_changed, either side);
- a group is renamed or deleted (its members are forgotten);
- migrations ran (they may add permissions to groups through historical models, which send no signals we see).

Forgetting happens at once and again when the transaction commits, so a request that read the old rows while the
change was uncommitted does not leave them cached; and roles read inside the transaction that changes them are not
kept at all, since it may still roll back (what was read would then never have been). Entries also expire after
ACCESS_CACHE_SECONDS, which bounds how long a change goes unseen when it is made behind Django's back (raw SQL) or
when a request that read the old rows just before the commit stores them just after it. If the cache cannot be
reached, the database answers.
"""

import logging
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q

logger = logging.getLogger(__name__)

ACCESS_CACHE_SECONDS = 5 * 60


@dataclass(frozen=True)
class Access:
    roles: frozenset[str]
    perms: frozenset[str]  # "app_label.codename", as ModelBackend names them


def _key(user_id: int) -> str:
    # The database's name keeps apart two databases served with one cache (the dev clinic and the benchmark's).
    return f"accounts:access:{connection.settings_dict['NAME']}:{user_id}"


def _from_database(user) -> Access:
    roles = frozenset(user.groups.values_list("name", flat=True))
    # What ModelBackend would grant: a superuser every permission there is, anyone else their own and their groups'.
    granted = (
        Permission.objects.all() if user.is_superuser else Permission.objects.filter(Q(group__user=user) | Q(user=user))
    )
    names = granted.values_list("content_type__app_label", "codename").distinct()
    return Access(roles=roles, perms=frozenset(f"{app_label}.{codename}" for app_label, codename in names))


def access_of(user) -> Access:
    """The user's roles and permissions, from the cache when it holds them."""
    key = _key(user.pk)
    try:
        cached = cache.get(key)
    except Exception:  # a cache outage must not take the pages down with it
        logger.warning("access cache unreachable; reading roles from the database", exc_info=True)
        return _from_database(user)
    # A superuser's permissions are all of them, so an entry made before the flag changed is not theirs.
    if cached is not None and cached["superuser"] == user.is_superuser:
        return Access(roles=frozenset(cached["roles"]), perms=frozenset(cached["perms"]))
    access = _from_database(user)
    if user.pk in _changes_under_way():
        return access
    entry = {"roles": sorted(access.roles), "perms": sorted(access.perms), "superuser": user.is_superuser}
    try:
        cache.set(key, entry, ACCESS_CACHE_SECONDS)
    except Exception:
        logger.warning("access cache unreachable; not keeping roles", exc_info=True)
    return access


def _transaction_block():
    """The outermost atomic block of the transaction under way, or None. A test case's wrapping block is not one:
    it never commits, and Django's own durable check passes over it the same way."""
    return next((block for block in connection.atomic_blocks if not block._from_testcase), None)


def _changes_under_way() -> dict:
    """User id -> the transaction (its outermost block) that changed their roles, for transactions still open."""
    changed = getattr(connection, "clinic_access_changed", {})
    return {user_id: block for user_id, block in changed.items() if any(block is b for b in connection.atomic_blocks)}


def access_forget(user_ids) -> None:
    """Forget the cached roles and permissions of these users, now and once the current transaction commits."""
    user_ids = set(user_ids)
    keys = [_key(user_id) for user_id in user_ids]
    if not keys:
        return
    if (block := _transaction_block()) is not None:
        connection.clinic_access_changed = _changes_under_way() | dict.fromkeys(user_ids, block)

    def forget() -> None:
        try:
            cache.delete_many(keys)
        except Exception:
            # Entries expire after ACCESS_CACHE_SECONDS: that long at most, the old roles stay in force.
            logger.error("access cache unreachable; roles of users %s may be stale", user_ids, exc_info=True)

    forget()
    transaction.on_commit(forget)


def _members(group_ids) -> list[int]:
    return list(Group.objects.filter(pk__in=group_ids).values_list("user", flat=True).exclude(user=None))


def _groups_with(permission_ids) -> list[int]:
    return list(Group.objects.filter(permissions__in=permission_ids).values_list("pk", flat=True))


def user_groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """user.groups.… (forward) or group.user_set.… (reverse)."""
    if action not in {"post_add", "post_remove", "pre_clear", "post_clear"}:
        return
    if not reverse:
        access_forget([instance.pk])
    elif action == "pre_clear":
        access_forget(_members([instance.pk]))
    else:
        access_forget(pk_set or [])


def user_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """user.user_permissions.… (forward) or permission.user_set.… (reverse)."""
    if action not in {"post_add", "post_remove", "pre_clear", "post_clear"}:
        return
    if not reverse:
        access_forget([instance.pk])
    elif action == "pre_clear":
        access_forget(instance.user_set.values_list("pk", flat=True))
    else:
        access_forget(pk_set or [])


def group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """group.permissions.… (forward) or permission.group_set.… (reverse): every member of the groups."""
    if action not in {"post_add", "post_remove", "pre_clear", "post_clear"}:
        return
    if not reverse:
        access_forget(_members([instance.pk]))
    elif action == "pre_clear":
        access_forget(_members(_groups_with([instance.pk])))
    else:
        access_forget(_members(pk_set or []))


def group_changed(sender, instance, **kwargs) -> None:
    """A group renamed (its members' roles are its name) or about to be deleted."""
    access_forget(_members([instance.pk]))


def access_forget_everyone(sender, **kwargs) -> None:
    from .models import User

    access_forget(User.objects.values_list("pk", flat=True))
