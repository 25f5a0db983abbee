"""Content Security Policy: everything is served from our own origin (assets are vendored)."""

from django.conf import settings

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
