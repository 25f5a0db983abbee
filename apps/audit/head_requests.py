"""A HEAD asks for a page's headers, not its content. The view is handed it as a GET, so the headers are the GET's
(a page with a form answers a HEAD as its GET, not 405), but it runs inside a transaction rolled back at the end,
and the session is given back as it came: nothing it writes stays (an access-log row for content that was never
sent, a calendar feed's last use, work queued on commit, a message or an address shown once). A refused attempt is
the exception: trying to reach a patient is logged whatever the answer carries, so its row is held and written once
the rest is undone."""

from contextvars import ContextVar

from django.db import transaction

from .models import AccessLog

_held_refusals: ContextVar[list[AccessLog] | None] = ContextVar("held_refusals", default=None)


def refusal_held(entry: AccessLog) -> bool:
    """While a HEAD is answered, keep a refused row to write after its rollback (True); otherwise False."""
    held = _held_refusals.get()
    if held is None:
        return False
    held.append(entry)
    return True


class HeadWritesNothingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        # The session is kept as it came: what a GET takes from it (a message shown once, an address shown once) is
        # still there for the GET that reads the page.
        session = getattr(request, "session", None)
        kept = dict(session.items()) if session is not None else None
        held: list[AccessLog] = []
        token = _held_refusals.set(held)
        try:
            with transaction.atomic():
                response = self.get_response(request)
                transaction.set_rollback(True)
        finally:
            _held_refusals.reset(token)
        if session is not None and session.modified:
            session.clear()
            session.update(kept)
            session.modified = False
        if held:
            AccessLog.objects.bulk_create(held)
        if response.streaming:
            # A streamed body (an export) is produced as it is sent, after this point: it is not sent at all.
            response.streaming_content = iter(())
        elif response.content:
            # The GET's body was rendered (a note's text, say): not every server leaves out a HEAD's body, so it is
            # dropped here, its length kept as the GET's would be.
            if not response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response
