"""Configuration rows that change only when an admin saves them, kept between requests.

Some rows are read by nearly every request (the clinic's settings) or every price (the fee configuration), and
change only when an admin edits them. Such a value is kept once per request (the request memo) and between requests
in the cache, with the version it was read under. Every save or delete of its rows replaces the version, at once and
again when the saving transaction commits, and a value kept under another version than the current one is read
again. The version and the value come back in one round trip. A value is kept only from a read outside any
transaction (a read inside one may see rows that are then rolled back), and a reader that began before a change
keeps what it read with the old version, which no later reader takes. If the cache cannot be reached, the database
answers.
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


class Kept:
    """One kind of kept value, named `name`; `shape` is part of every key and is raised whenever the kept value
    changes shape, so a release never reads what an earlier one kept. A kind may keep several values, one per
    `part` (the fee configuration keeps one per date)."""

    def __init__(self, name: str, *, shape: int, seconds: int = 10 * 60):
        self.name = name
        self.shape = shape
        self.seconds = seconds

    def _version_key(self) -> str:
        # The database's name keeps apart two databases served by one cache (the dev clinic and the benchmark's).
        return f"{self.name}-version:{connection.settings_dict['NAME']}"

    def _value_key(self, part: str) -> str:
        return f"{self.name}:{self.shape}:{connection.settings_dict['NAME']}:{part}"

    def _cached(self, part: str) -> tuple[str, T | None]:
        """The current version and the value kept for `part` if it was kept under that version: one round trip."""
        found = cache.get_many([self._version_key(), self._value_key(part)])
        version = found.get(self._version_key())
        if version is None:
            cache.add(self._version_key(), uuid.uuid4().hex, None)
            return cache.get(self._version_key()), None
        kept_version, value = found.get(self._value_key(part), (None, None))
        return version, value if kept_version == version else None

    def get(self, read: Callable[[], T], part: str = "") -> T:
        """This request's value, else the cache's if kept under the current version, else `read()` (kept with that
        version when read outside a transaction)."""
        memo = memo_get(self.name)
        if memo is not None and part in memo:
            return memo[part]
        version = value = None
        try:
            version, value = self._cached(part)
        except Exception:  # a cache outage must not stop a page, a charge or a quote
            logger.warning("%s: cache unreachable, reading the database", self.name, exc_info=True)
        if value is None:
            value = read()
            if version is not None and not connection.in_atomic_block:
                try:
                    cache.set(self._value_key(part), (version, value), self.seconds)
                except Exception:
                    logger.warning("%s: cache unreachable, not kept", self.name, exc_info=True)
        memo_set(self.name, {**(memo or {}), part: value})
        return value

    def forget(self, **signal_kwargs) -> None:
        """Move the kept values' version on, now and when the saving transaction commits. Takes a signal's
        arguments, so it can be connected to post_save, post_delete and post_migrate as it is."""

        def forget():
            memo_forget(self.name)
            try:
                cache.set(self._version_key(), uuid.uuid4().hex, None)
            except Exception:
                logger.warning("%s: cache unreachable, kept values expire on their own", self.name, exc_info=True)

        forget()
        transaction.on_commit(forget)
