from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


def absolute_url(path: str) -> str:
    """An absolute link for emails and texts, on the clinic's public address (settings.SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + path


def safe_next_path(request, target: str | None) -> str | None:
    """`target` if it is a path on this site ("/..."), else None: never another host, never a view name."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else None
