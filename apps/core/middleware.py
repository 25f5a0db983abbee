"""Response headers every page and API answer gets: a Content Security Policy (everything is served from our own
origin, assets are vendored) and no caching."""

from django.conf import settings
from django.utils.cache import patch_cache_control

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self' https:",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CLINIC_CSP", POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        # The API docs page loads its own inline bootstrap script; everything else is strict.
        if not request.path.startswith("/api/docs"):
            response.setdefault("Content-Security-Policy", self.policy)
        return response


class NoStoreMiddleware:
    """Nothing this application renders may be kept by a browser or a proxy cache: pages and API answers carry
    patient data, and a shared computer's back button or a proxy must not show it to the next person. Static files
    never reach here (WhiteNoise answers them first, with their own long cache headers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, private=True)
        return response
