from urllib.parse import urlsplit

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


def absolute_url(path: str) -> str:
    """An absolute link for emails, texts, calendar feeds and payment returns, on the clinic's public address
    (settings.SITE_URL). The one way to make one: never the request's host, which a proxy or a forged Host header
    decides, and never a view's reverse() alone in a message."""
    return settings.SITE_URL.rstrip("/") + path


def site_host() -> str:
    """The host (and port) of the clinic's public address, for identifiers such as a calendar event's UID; the port
    stays because UIDs already in subscribers' calendars carry it, and a changed UID duplicates the event."""
    return urlsplit(settings.SITE_URL).netloc


def next_path(request) -> str:
    """The request's `next` (query or form) if it is a path on this site, else "". Every view that follows or
    passes on a `next` reads it through here."""
    return safe_next_path(request, request.GET.get("next") or request.POST.get("next")) or ""


def next_or(request, default: str) -> str:
    """Where to go after a page or an action: the request's safe `next`, else `default`."""
    return next_path(request) or default


def safe_next_path(request, target: str | None) -> str | None:
    """`target` if it is a path on this site ("/..."), else None: never another host, never a view name."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else None
