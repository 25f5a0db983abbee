"""Each location's time zone, by id, without a query per session shown.

A page listing sessions prints each at its location's local time; reading the location row for each would cost a
query per session, and a join on every selector that lists sessions. The clinic has a handful of locations, so
their zones are kept together: once per request (the request memo), and between requests in the cache, forgotten
when a location is saved (at once and again on commit, as the roles cache is). If the cache cannot be reached, the
database answers.
"""

import logging
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection, transaction

from apps.core.request_memo import memo_get, memo_set

from .models import Location

logger = logging.getLogger(__name__)

ZONES_CACHE_SECONDS = 60 * 60
_MEMO_KEY = "scheduling:location-zones"


def _key() -> str:
    # The database's name keeps apart two databases served by one cache (the dev clinic and the benchmark's).
    return f"scheduling:location-zones:{connection.settings_dict['NAME']}"


def _read_and_keep() -> dict[int, str]:
    names = dict(Location.objects.values_list("pk", "time_zone"))
    memo_set(_MEMO_KEY, names)
    try:
        cache.set(_key(), names, ZONES_CACHE_SECONDS)
    except Exception:  # a cache outage must not take the pages down with it
        logger.warning("zones cache unreachable; not kept", exc_info=True)
    return names


def _kept() -> dict[int, str] | None:
    names = memo_get(_MEMO_KEY)
    if names is not None:
        return names
    try:
        names = cache.get(_key())
    except Exception:
        logger.warning("zones cache unreachable; reading locations from the database", exc_info=True)
        return None
    if names is not None:
        memo_set(_MEMO_KEY, names)
    return names


def location_zone(location_id: int) -> ZoneInfo:
    """The zone of the location with this id (a location made since the zones were kept is read, and kept)."""
    names = _kept()
    if names is None or location_id not in names:
        names = _read_and_keep()
    return ZoneInfo(names[location_id])


def zones_forget() -> None:
    """Forget the kept zones now and when the saving transaction commits (a request reading the old rows meanwhile
    must not keep them)."""

    def forget():
        memo_set(_MEMO_KEY, None)
        try:
            cache.delete(_key())
        except Exception:
            logger.warning("zones cache unreachable; entry expires on its own", exc_info=True)

    forget()
    transaction.on_commit(forget)
