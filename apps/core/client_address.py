"""The address a request came from, by one rule for the access log, the sign-in lockout and the request limits."""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """`REMOTE_ADDR`, or behind `CLINIC_NUM_PROXIES` proxies the address the outermost of them was reached from: the
    entry that many places from the right of X-Forwarded-For (the one DRF's request limits count), since entries to
    its left are whatever the client sent. Anything that is not an address falls back to `REMOTE_ADDR`."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.CLINIC_NUM_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not proxies or not forwarded:
        return remote
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
