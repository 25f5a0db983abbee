"""Failed sign-ins (django-axes): an account locks after a few failures, a client address after many.

The login email is matched case-insensitively, so the failure count is kept per normalised address: otherwise
`Billing@clinic.test` and `billing@clinic.test` would each get their own allowance of guesses. Staff share the
clinic's one public address, so the per-address limit is much higher than the per-account one: it stops one
client from trying a few passwords against every account ("spraying") without locking out the front desk.

Axes reads the failures, then the password is checked, then a failure is written: sign-ins sent all at once would
all read the same count and all be checked. So each attempt is first counted among those in flight for its account
and its address (one Redis INCR each, see ClinicRedisCache.hit), and those ahead of it count as failures until
they are done: whatever arrives together, no more passwords are checked than the limit allows.
"""

import hashlib

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db.models import Sum

EMAIL_MAX_LENGTH = 254  # RFC 5321's longest address
# How long an attempt counts as in flight at most, should it never be seen to end (an error mid-way); a password
# check takes well under a second, and each new attempt keeps the counter for this long again.
IN_FLIGHT_SECONDS = 60


def login_username(request, credentials: dict | None) -> str | None:
    """The username axes counts failures against: the login email, trimmed and lower-cased, and no longer than an
    email can be (the attempts table keeps 255 characters; a longer one typed is counted under its first 254)."""
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return username.strip().lower()[:EMAIL_MAX_LENGTH] if isinstance(username, str) else None


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def _in_flight_keys(request, credentials: dict | None) -> dict[str, str]:
    """The in-flight counters of this attempt, by lockout parameter (the email is hashed: no list of who tried)."""
    keys = {"ip_address": f"sign-in-in-flight:address:{request.axes_ip_address}"}
    username = login_username(request, credentials)
    if username:
        keys["username"] = f"sign-in-in-flight:account:{hashlib.sha256(username.encode()).hexdigest()}"
    return keys


def _in_flight_end(request) -> None:
    if request is None:
        return
    for key in getattr(request, "clinic_sign_in_in_flight", ()):
        cache.give_back(key)
    request.clinic_sign_in_in_flight = []


def password_retyped(request, password: str) -> bool:
    """Whether `password` is the signed-in user's, asked again before a change to how they sign in. It is checked as
    a sign-in is, so a wrong one counts toward the account's lockout as a failed sign-in does, and once the account
    is locked the password is not checked and the lockout page answers (axes' middleware). A right one clears no
    failures: it is not a sign-in."""
    user = request.user
    checked = authenticate(request, username=user.email, password=password)
    if checked is None:
        return False  # the failure is written, and the attempt no longer in flight
    _in_flight_end(request)  # no sign-in follows to end it
    return checked.pk == user.pk


class ClinicLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        return self._failures(request, credentials, ahead={})

    def _failures(self, request, credentials: dict | None, *, ahead: dict[str, int]) -> int:
        """The account's failures; once the address passes its own limit, at least the account limit (locked).
        `ahead` adds, per parameter, the attempts in flight before this one, each a failure until it is done."""
        by_parameter = dict(
            zip(
                (str(parameter) for parameter in get_lockout_parameters(request, credentials)),
                self.get_user_attempts(request, credentials),
                strict=True,
            )
        )
        by_account = _failures(by_parameter["username"]) + ahead.get("username", 0)
        by_address = _failures(by_parameter["ip_address"]) + ahead.get("ip_address", 0)
        if by_address >= settings.CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(by_account, get_failure_limit(request, credentials))
        return by_account

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        """Whether this attempt may not have its password checked. It is counted in flight before the failures are
        read, and an attempt ahead of it ends only after its failure is written, so each one is seen either way."""
        if not settings.AXES_LOCK_OUT_AT_FAILURE:
            return False
        self._in_flight_end(request)  # a second check within one request counts it once
        keys = _in_flight_keys(request, credentials)
        ahead = {}
        for parameter, key in keys.items():
            count, _ = cache.hit(key, seconds=IN_FLIGHT_SECONDS, refresh=True)
            ahead[parameter] = count - 1
        request.clinic_sign_in_in_flight = list(keys.values())
        return self._failures(request, credentials, ahead=ahead) >= get_failure_limit(request, credentials)

    def _in_flight_end(self, request) -> None:
        _in_flight_end(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        try:
            super().user_login_failed(sender, credentials, request=request, **kwargs)
        finally:
            self._in_flight_end(request)  # after the failure is written: whoever comes next reads it

    def user_logged_in(self, sender, request, user, **kwargs):
        try:
            super().user_logged_in(sender, request, user, **kwargs)
        finally:
            self._in_flight_end(request)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """A successful sign-in clears that account's failures only: signing in to one's own account must not
        wipe the address's count of failures against everyone else's."""
        deleted, _ = AccessAttempt.objects.filter(username=login_username(request, credentials)).delete()
        return deleted
