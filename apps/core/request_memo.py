"""Rows every part of a page may ask for (the clinic's settings) are read once per request, not once per caller.

The memo lives only while a request is served (RequestMemoMiddleware opens and closes it) or while one batch of
work runs in `memo_scope` (a send task's few messages); other Celery tasks, commands and tests that call services
directly run outside one and always read the database, so no task ever sees another's stale value."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_memo: ContextVar[dict | None] = ContextVar("request_memo", default=None)


def memo_get(key: str):
    """The value remembered for `key` in the current request, or None (also outside a request)."""
    memo = _memo.get()
    return None if memo is None else memo.get(key)


def memo_set(key: str, value) -> None:
    """Remember `value` for the rest of the current request; outside a request this does nothing."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = value


def memo_read(key: str, read):
    """The value remembered for `key` in the current request, else `read()`, remembered for the rest of it (outside
    a request, always `read()`)."""
    value = memo_get(key)
    if value is None:
        value = read()
        memo_set(key, value)
    return value


def memo_forget(key: str) -> None:
    memo = _memo.get()
    if memo is not None:
        memo.pop(key, None)


@contextmanager
def memo_scope() -> Iterator[None]:
    """Remember rows for the length of the block, as for one request."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


class RequestMemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with memo_scope():
            return self.get_response(request)
