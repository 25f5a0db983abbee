"""Rate limits counted in one atomic step, so that requests arriving at the same moment never get past one.

DRF's SimpleRateThrottle reads the list of recent requests, decides, then writes the list back: a burst of requests
all read the same list, all pass, and the last write wins. Here each request is one Redis INCR (ClinicRedisCache.hit),
which hands every request a number of its own: exactly the first `limit` of a burst are within the limit. A window
opens with its first request and lasts the rate's period; it is not extended by requests refused meanwhile."""

from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle


class FixedWindowRateThrottle(SimpleRateThrottle):
    """A SimpleRateThrottle (same rates, same cache keys) whose counting is atomic."""

    seconds_left: float | None = None

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        count, self.seconds_left = cache.hit(self.key, seconds=self.duration)
        return count <= self.num_requests

    def exhausted(self, request, view) -> bool:
        """Whether the limit is used up already, without counting this request."""
        if self.rate is None:
            return False
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return False
        count, self.seconds_left = cache.peek(self.key)
        return count >= self.num_requests

    def wait(self) -> float | None:
        return self.seconds_left
