"""API authentication by personal token: `Authorization: Token <prefix>.<secret>`.

The prefix finds the row; the secret is compared by its SHA-256 only. A token stands for a session that passed
MFA when it was minted, but it is never a browser session: process notes refuse it (see apps.notes.api).
"""

import datetime as dt
import hmac
import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled

from apps.core import clock

from .models import ApiToken
from .services import token_hash
from .throttles import ApiTokenFailureThrottle

KEYWORD = "Token"
PREFIX = re.compile(r"[0-9a-f]{12}")
# Marking every request would write a row per call; a minute is precise enough to tell a token is in use.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
TOO_MANY_FAILURES = "Too many failed token attempts from this address; try again later."


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token this plaintext names, with its user, or None."""
    prefix, _, secret = raw.partition(".")
    if not PREFIX.fullmatch(prefix) or not secret:
        return None  # not one of ours; also keeps odd bytes (NUL) away from the query
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    now = clock.now()
    if token is None or not hmac.compare_digest(token.secret_hash, token_hash(secret)):
        return None
    # Tokens are a staff tool: one whose holder no longer has a staff role (a role change since it was minted) stops.
    if not token.is_usable(now) or not token.user.is_active or not token.user.is_clinic_staff:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <prefix>.<secret>`; request.auth is the ApiToken. Failed attempts are limited per client
    (ApiTokenFailureThrottle): past the limit, 429."""

    limits_failed_attempts = True  # the schema documents the 429

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        failures = ApiTokenFailureThrottle()
        try:
            user_and_token = self._token_user(parts)
        except AuthenticationFailed:
            if not failures.allow_request(request, None):  # this failure counted, past the limit
                raise Throttled(wait=failures.wait(), detail=TOO_MANY_FAILURES) from None
            raise
        if failures.exhausted(request, None):
            raise Throttled(wait=failures.wait(), detail=TOO_MANY_FAILURES)
        return user_and_token

    def _token_user(self, parts: list[bytes]):
        if len(parts) != 2:
            raise AuthenticationFailed("The Authorization header must be 'Token <token>'.")
        try:
            raw = parts[1].decode()
        except UnicodeDecodeError:
            raw = ""
        token = api_token_authenticate(raw)
        if token is None:
            raise AuthenticationFailed("Invalid, expired or revoked token.")
        return token.user, token

    def authenticate_header(self, request) -> str:
        return KEYWORD


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents the token in the OpenAPI schema."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <prefix>.<secret>`, created by its own user on the API tokens page.",
        }
