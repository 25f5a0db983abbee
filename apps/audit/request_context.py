"""Where the current request came from, so services can log it without taking the request."""

from contextvars import ContextVar
from dataclasses import dataclass

from apps.core.client_address import client_address


@dataclass(frozen=True)
class RequestOrigin:
    ip_address: str | None = None
    user_agent: str = ""
    path: str = ""


_current_origin: ContextVar[RequestOrigin | None] = ContextVar("current_origin", default=None)
NO_ORIGIN = RequestOrigin()


def current_origin() -> RequestOrigin:
    """The origin of the request being served; empty outside a request (tasks, commands)."""
    return _current_origin.get() or NO_ORIGIN


class RequestOriginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_origin.set(
            RequestOrigin(
                ip_address=client_address(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
                path=request.path[:300],
            )
        )
        try:
            return self.get_response(request)
        finally:
            _current_origin.reset(token)
