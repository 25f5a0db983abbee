"""Configuration rows that change only when an admin saves them, kept between requests.

Some rows are read by nearly every request (the clinic's settings) or every price (the fee configuration), and
change only when an admin edits them. Such a value is kept once per request (the request memo) and between requests
in the cache, with the version it was read under. Every save or delete of its rows replaces the version, at once and
again when the saving transaction commits, and a value kept under another version than the current one is read
again. The version and the value come back in one round trip. A value is kept in the cache only from a read outside
any transaction (a read inside one may see rows that are then rolled back), and a reader that began before a change
keeps what it read with the old version, which no later reader takes. If the cache cannot be reached, the database
answers.

A value read inside a transaction is held for the rest of that transaction only, so a service that prices many
sessions in one transaction reads the fee configuration once per date. It is held while nothing it was read under is
undone: with it, a mark is registered to run at commit, and Django drops the marks registered under a savepoint when
that savepoint is rolled back and all of them when the transaction ends, committed or not. A held value whose mark is
gone is read again. A save or delete of the rows (`forget`) drops the held values too, so a value read after a change
is one that sees it, and it goes with the savepoint or transaction that made the change if that is rolled back.
"""

import logging
import uuid
import weakref
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from .request_memo import memo_forget, memo_get, memo_set

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Parts held on one connection before those of transactions that have ended are swept out.
_HELD_MAX = 64


class _Mark:
    """Registered with on_commit beside a value held inside a transaction; present while the value may be used. It is
    only ever looked for: when it runs, at commit, the value is no longer wanted."""

    __slots__ = ("__weakref__",)

    def __call__(self) -> None:
        pass


# Every kind of kept value, so that what a transaction holds can be let go of at once (`held_release`).
_KINDS: "weakref.WeakSet[Kept]" = weakref.WeakSet()


def held_release() -> None:
    """Let go of every value held in the transaction under way, of every kind: what follows reads as a transaction
    of its own would (the test client's requests share the test's transaction, where each request in production
    begins outside one)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    for kind in list(_KINDS):
        kind._held.pop(wrapper, None)


def _marked(pending: list, mark: _Mark, index: int) -> bool:
    """Whether `mark` is still among the transaction's commit callbacks (looked for first where it was put)."""
    if index < len(pending) and pending[index][1] is mark:
        return True
    return any(func is mark for _, func, _ in pending)


class Kept:
    """One kind of kept value, named `name`; `shape` is part of every key and is raised whenever the kept value
    changes shape, so a release never reads what an earlier one kept. A kind may keep several values, one per
    `part` (the fee configuration keeps one per date)."""

    def __init__(self, name: str, *, shape: int, seconds: int = 10 * 60):
        self.name = name
        self.shape = shape
        self.seconds = seconds
        # Per database connection: part -> (mark, where the mark was put, value), for the transaction under way.
        self._held: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        _KINDS.add(self)

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

    def _held_get(self, part: str):
        """The value held for `part` in the transaction under way, or None."""
        wrapper = connections[DEFAULT_DB_ALIAS]
        held = self._held.get(wrapper)
        entry = held.get(part) if held else None
        if entry is None:
            return None
        mark, index, value = entry
        if _marked(wrapper.run_on_commit, mark, index):
            return value
        del held[part]  # read under a savepoint or a transaction that has ended since
        return None

    def _hold(self, part: str, value) -> None:
        wrapper = connections[DEFAULT_DB_ALIAS]
        held = self._held.setdefault(wrapper, {})
        if len(held) >= _HELD_MAX:  # entries of transactions that have ended
            pending = wrapper.run_on_commit
            for stale in [key for key, (mark, index, _) in held.items() if not _marked(pending, mark, index)]:
                del held[stale]
        mark = _Mark()
        transaction.on_commit(mark)
        held[part] = (mark, len(wrapper.run_on_commit) - 1, value)

    def get(self, read: Callable[[], T], part: str = "") -> T:
        """This request's value, else the one held in the transaction under way, else the cache's if kept under the
        current version, else `read()` (kept with that version when read outside a transaction, held for the rest of
        the transaction when read inside one)."""
        memo = memo_get(self.name)
        if memo is not None and part in memo:
            return memo[part]
        in_transaction = connection.in_atomic_block
        if in_transaction:
            value = self._held_get(part)
            if value is not None:
                memo_set(self.name, {**(memo or {}), part: value})
                return value
        version = value = None
        try:
            version, value = self._cached(part)
        except Exception:  # a cache outage must not stop a page, a charge or a quote
            logger.warning("%s: cache unreachable, reading the database", self.name, exc_info=True)
        if value is None:
            value = read()
            if version is not None and not in_transaction:
                try:
                    cache.set(self._value_key(part), (version, value), self.seconds)
                except Exception:
                    logger.warning("%s: cache unreachable, not kept", self.name, exc_info=True)
        if in_transaction:
            self._hold(part, value)
        memo_set(self.name, {**(memo or {}), part: value})
        return value

    def forget(self, **signal_kwargs) -> None:
        """Move the kept values' version on, now and when the saving transaction commits. Takes a signal's
        arguments, so it can be connected to post_save, post_delete and post_migrate as it is."""

        def forget():
            memo_forget(self.name)
            self._held.pop(connections[DEFAULT_DB_ALIAS], None)
            try:
                cache.set(self._version_key(), uuid.uuid4().hex, None)
            except Exception:
                logger.warning("%s: cache unreachable, kept values expire on their own", self.name, exc_info=True)

        forget()
        transaction.on_commit(forget)
