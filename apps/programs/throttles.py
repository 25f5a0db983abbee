"""The limit on public lecture registrations per client address, shared by the page and the API, so neither can be
used to flood the outbox with emails to addresses that never asked for them."""

from django.conf import settings

from apps.core.client_address import client_address
from apps.core.rate_limits import FixedWindowRateThrottle


class LectureRegistrationThrottle(FixedWindowRateThrottle):
    scope = "lecture_registration"

    def get_rate(self) -> str:
        # Read when asked, not at import, so a deployment (or a test) can change it.
        return settings.CLINIC_LECTURE_REGISTRATION_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


def registration_throttled(request) -> bool:
    """True when this address has registered too often lately (the page's check; the API uses the class)."""
    return not LectureRegistrationThrottle().allow_request(request, None)
