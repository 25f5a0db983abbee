"""Pieces shared by the server-rendered pages of every app."""

from collections.abc import Callable

from django.contrib import messages

from apps.core.errors import ApplicationError


def call_with_messages(request, call: Callable[[], object], success: str) -> bool:
    """Run one service call for a page and tell the user how it went.

    A refusal (ApplicationError) becomes an error message, anything else `success`. Returns whether it went through.
    """
    try:
        call()
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


def query_without_page(request) -> str:
    """The request's query string minus `page`, for pager links that keep the filters."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
