"""Failed sign-ins (django-axes): an account locks after a few failures, a client address after many.

The login email is matched case-insensitively, so the failure count is kept per normalised address: otherwise
`Billing@clinic.test` and `billing@clinic.test` would each get their own allowance of guesses. Staff share the
clinic's one public address, so the per-address limit is much higher than the per-account one: it stops one
client from trying a few passwords against every account ("spraying") without locking out the front desk.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum

EMAIL_MAX_LENGTH = 254  # RFC 5321's longest address


def login_username(request, credentials: dict | None) -> str | None:
    """The username axes counts failures against: the login email, trimmed and lower-cased, and no longer than an
    email can be (the attempts table keeps 255 characters; a longer one typed is counted under its first 254)."""
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return username.strip().lower()[:EMAIL_MAX_LENGTH] if isinstance(username, str) else None


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class ClinicLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The account's failures; once the address passes its own limit, at least the account limit (locked)."""
        by_parameter = dict(
            zip(
                (str(parameter) for parameter in get_lockout_parameters(request, credentials)),
                self.get_user_attempts(request, credentials),
                strict=True,
            )
        )
        by_account = _failures(by_parameter["username"])
        if _failures(by_parameter["ip_address"]) >= settings.CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(by_account, get_failure_limit(request, credentials))
        return by_account

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """A successful sign-in clears that account's failures only: signing in to one's own account must not
        wipe the address's count of failures against everyone else's."""
        deleted, _ = AccessAttempt.objects.filter(username=login_username(request, credentials)).delete()
        return deleted
