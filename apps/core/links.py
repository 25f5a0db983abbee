from django.conf import settings


def absolute_url(path: str) -> str:
    """An absolute link for emails and texts, on the clinic's public address (settings.SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + path
