"""The per-address limit on "What will I pay?" quotes, shared by the public page and the API, so neither can be used
to scrape the sliding scale faster than the other."""

from types import SimpleNamespace

from rest_framework.throttling import ScopedRateThrottle

from apps.core.rate_limits import FixedWindowRateThrottle


class QuoteThrottle(ScopedRateThrottle, FixedWindowRateThrottle):
    """The `quote` rate of DEFAULT_THROTTLE_RATES, counted atomically."""


def quote_throttled(request) -> bool:
    """True when this address has asked for quotes too often lately (the page's check; the API uses the class)."""
    return not QuoteThrottle().allow_request(request, SimpleNamespace(throttle_scope="quote"))
