"""The limits on "Forgot your password?" requests, per email address typed and per client address, so the form
cannot flood someone's inbox nor be used to send resets to many addresses from one place. Every request counts,
whether or not the address has an account, so being limited tells nothing about which addresses do.

And the limit on failed API token attempts per client address, so nobody can go on guessing tokens."""

import hashlib

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from apps.core.client_address import client_address


class PasswordResetClientThrottle(SimpleRateThrottle):
    scope = "password_reset_client"

    def get_rate(self) -> str:
        # Read when asked, not at import, so a deployment (or a test) can change it.
        return settings.CLINIC_PASSWORD_RESET_RATE_PER_CLIENT

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class PasswordResetEmailThrottle(SimpleRateThrottle):
    scope = "password_reset_email"

    def __init__(self, email: str) -> None:
        self.email = email.strip().lower()
        super().__init__()

    def get_rate(self) -> str:
        return settings.CLINIC_PASSWORD_RESET_RATE_PER_EMAIL

    def get_cache_key(self, request, view) -> str:
        # The address is hashed so the cache holds no list of who asked.
        ident = hashlib.sha256(self.email.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


def password_reset_throttled(request, *, email: str) -> bool:
    """True when this client, or this email address from anywhere, has asked for a reset too often lately. Both
    counters count this request."""
    by_client = PasswordResetClientThrottle().allow_request(request, None)
    by_email = PasswordResetEmailThrottle(email).allow_request(request, None)
    return not (by_client and by_email)


class ApiTokenFailureThrottle(SimpleRateThrottle):
    """Failed `Authorization: Token` attempts per client address, as sign-in failures are counted. Only failures
    count, so a script using its token is never slowed; once a client is over the limit every token it sends waits,
    the right one too, or the answer would tell a right guess from a wrong one."""

    scope = "api_token_failure"

    def get_rate(self) -> str:
        return settings.CLINIC_API_TOKEN_FAILURE_RATE_PER_CLIENT

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}

    def exhausted(self, request) -> bool:
        """Whether this client has failed too often lately (counting nothing); `wait()` then says for how long."""
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def failure_record(self, request) -> None:
        """Count one more failure from this client."""
        self.allow_request(request, None)
