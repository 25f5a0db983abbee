"""The clinic's settings row, kept between requests.

Nearly every page reads the settings row (the menu asks whether the clinic lets patients write to therapists), and
the row changes only when an admin saves it. So it is kept: once per request (the request memo) and between requests
in the cache, with the version it was read under. Every save or delete of the row replaces the version, at once and
again when the saving transaction commits, and a row kept under another version than the current one is read again.
The version and the row come back in one round trip. A row is kept only from a read outside any transaction (a read
inside one may see a change that is then rolled back), and a reader that began before a change keeps what it read
with the old version, which no later reader takes. If the cache cannot be reached, the database answers.

A queryset's update() sends no signal: whoever changes the row that way calls `clinic_settings_forget` too.
"""

import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection, transaction

from .request_memo import memo_forget, memo_get, memo_set

logger = logging.getLogger(__name__)

T = TypeVar("T")

SETTINGS_CACHE_SECONDS = 10 * 60
# Part of the kept row's key: raised whenever the model's fields change, so a release never reads what an earlier one
# kept.
SETTINGS_SHAPE = 1
SETTINGS_MEMO_KEY = "core.clinicsettings"


def _version_key() -> str:
    # The database's name keeps apart two databases served by one cache (the dev clinic and the benchmark's).
    return f"core:clinicsettings-version:{connection.settings_dict['NAME']}"


def _value_key() -> str:
    return f"core:clinicsettings:{SETTINGS_SHAPE}:{connection.settings_dict['NAME']}"


def _cached() -> tuple[str, T | None]:
    """The current version and the row kept under it, if any: one round trip."""
    found = cache.get_many([_version_key(), _value_key()])
    version = found.get(_version_key())
    if version is None:
        cache.add(_version_key(), uuid.uuid4().hex, None)
        return cache.get(_version_key()), None
    kept_version, row = found.get(_value_key(), (None, None))
    return version, row if kept_version == version else None


def clinic_settings_kept(read: Callable[[], T]) -> T:
    """The settings row: this request's, else the cache's if kept under the current version, else `read()` (kept
    with that version when read outside a transaction)."""
    row = memo_get(SETTINGS_MEMO_KEY)
    if row is not None:
        return row
    version = None
    try:
        version, row = _cached()
    except Exception:  # a cache outage must not stop a page
        logger.warning("settings cache unreachable; reading the clinic settings", exc_info=True)
    if row is None:
        row = read()
        if version is not None and not connection.in_atomic_block:
            try:
                cache.set(_value_key(), (version, row), SETTINGS_CACHE_SECONDS)
            except Exception:
                logger.warning("settings cache unreachable; not kept", exc_info=True)
    memo_set(SETTINGS_MEMO_KEY, row)
    return row


def clinic_settings_forget(**kwargs) -> None:
    """Move the kept row's version on, now and when the saving transaction commits. Connected to the row's post_save
    and post_delete and to post_migrate (a database made again under the same name starts from a new version)."""

    def forget():
        memo_forget(SETTINGS_MEMO_KEY)
        try:
            cache.set(_version_key(), uuid.uuid4().hex, None)
        except Exception:
            logger.warning("settings cache unreachable; the kept row expires on its own", exc_info=True)

    forget()
    transaction.on_commit(forget)
