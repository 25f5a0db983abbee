"""The fee configuration in force on a date, kept between requests.

Every price (a session's charge, a Good Faith Estimate, the public fee quote) needs the sliding-scale schedule in
force with its classes, the poverty guideline and the full fees. Reading them is one query, but one the ORM takes
longer to build than the rest of the public quote, and the rows change only when an admin edits the fees.

So they are kept: once per request (the request memo) and between requests in the cache, with the version they
were read under; every save or delete of those rows replaces the version, at once and again when the saving
transaction commits, and a value kept under another version than the current one is read again. The version and
the value come back in one round trip. A value is kept only from a read outside any transaction (a read inside one
may see rows that are then rolled back), and a reader that began before a change keeps what it read with the old
version, which no later reader takes. If the cache cannot be reached, the database answers.
"""

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection, transaction

from apps.core.request_memo import memo_forget, memo_get, memo_set

logger = logging.getLogger(__name__)

T = TypeVar("T")

RATES_CACHE_SECONDS = 10 * 60
# Part of every kept value's key: raised whenever the kept value changes shape, so a release never reads what an
# earlier one kept.
RATES_SHAPE = 2
_MEMO_KEY = "billing:rates"


def _version_key() -> str:
    # The database's name keeps apart two databases served by one cache (the dev clinic and the benchmark's).
    return f"billing:rates-version:{connection.settings_dict['NAME']}"


def _value_key(on: dt.date) -> str:
    return f"billing:rates:{RATES_SHAPE}:{connection.settings_dict['NAME']}:{on.isoformat()}"


def _cached(on: dt.date) -> tuple[str, T | None]:
    """The current version and the value kept for `on` if it was kept under that version: one round trip."""
    found = cache.get_many([_version_key(), _value_key(on)])
    version = found.get(_version_key())
    if version is None:
        cache.add(_version_key(), uuid.uuid4().hex, None)
        return cache.get(_version_key()), None
    kept_version, rates = found.get(_value_key(on), (None, None))
    return version, rates if kept_version == version else None


def rates_kept(on: dt.date, read: Callable[[], T]) -> T:
    """The configuration in force on `on`: this request's, else the cache's if kept under the current version,
    else `read()` (kept with that version when read outside a transaction)."""
    memo = memo_get(_MEMO_KEY)
    if memo is not None and on in memo:
        return memo[on]
    version = None
    try:
        version, rates = _cached(on)
    except Exception:  # a cache outage must not stop a charge or a quote
        logger.warning("rates cache unreachable; reading the fee configuration", exc_info=True)
        rates = None
    if rates is None:
        rates = read()
        if version is not None and not connection.in_atomic_block:
            try:
                cache.set(_value_key(on), (version, rates), RATES_CACHE_SECONDS)
            except Exception:
                logger.warning("rates cache unreachable; not kept", exc_info=True)
    memo_set(_MEMO_KEY, {**(memo or {}), on: rates})
    return rates


def rates_forget() -> None:
    """Move the kept configuration's version on, now and when the saving transaction commits."""

    def forget():
        memo_forget(_MEMO_KEY)
        try:
            cache.set(_version_key(), uuid.uuid4().hex, None)
        except Exception:
            logger.warning("rates cache unreachable; kept rates expire on their own", exc_info=True)

    forget()
    transaction.on_commit(forget)
