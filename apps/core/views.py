"""Pieces shared by the server-rendered pages of every app."""

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.http import FileResponse, Http404

from apps.core.errors import ApplicationError
from apps.core.forms import FORM_REFUSED_STATUS

T = TypeVar("T")


def posted(request):
    """The form data of a POST, None otherwise: what a page binds its form to. A post with nothing filled in or
    nothing ticked is a form sent all the same and is checked, where `request.POST or None` would take it for the
    form asked for and show it blank."""
    return request.POST if request.method == "POST" else None


def refusal_status(exc: ApplicationError) -> int:
    """The status a page answers a form a service refused with: 422 for input refused (which the API, and an
    ApplicationError that names no status, answer 400), and the refusal's own otherwise: 409 when it collides with the
    records as they now stand (something changed meanwhile), 403, 404, or 503 for a provider out of reach."""
    return FORM_REFUSED_STATUS if exc.status in (ApplicationError.status, FORM_REFUSED_STATUS) else exc.status


def form_status(*forms) -> int:
    """The status of a page showing `forms`: 200, or, when one came back refused, the status it was refused with
    (`refusal_status`, kept by `form_refusal`), 422 when the form itself refused what was typed."""
    for form in forms:
        if form is not None and form.errors:
            return getattr(form, "refused_status", FORM_REFUSED_STATUS)
    return 200


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


def action_from_url(actions: dict[str, T], name: str) -> T:
    """The entry of a page's table of actions named by the URL; an unknown name is a 404 before anything is loaded."""
    if name not in actions:
        raise Http404
    return actions[name]


def action_call(request, action: tuple[Callable[..., object], str], *, say: dict | None = None, **targets) -> bool:
    """Run an action of a page's table, a (service, success message) pair, on `targets` as the signed-in user and
    say how it went (`call_with_messages`); `say` fills the message's {placeholders}."""
    service, success = action
    return call_with_messages(request, lambda: service(actor=request.user, **targets), success.format(**(say or {})))


def query_without_page(request) -> str:
    """The request's query string minus `page`, for pager links that keep the filters."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def form_refusal(form, exc: ApplicationError, *, not_on: tuple[str, ...] = ()) -> None:
    """Put a service's refusal on the form: its message above the fields, and each field's own words on the field
    it names (except those in `not_on`, whose words the message already says). A message that is a field's own
    words is said once, on that field, next to what it is about. The page then answers `form_status(form)`."""
    form.refused_status = refusal_status(exc)
    on_fields = {name: errors for name, errors in exc.fields.items() if name in form.fields and name not in not_on}
    if not any(errors in ([exc.message], exc.message) for errors in on_fields.values()):
        form.add_error(None, exc.message)
    for name, errors in on_fields.items():
        form.add_error(name, errors)


def form_refused_focus(form) -> None:
    """Put the focus, as the page loads, in the first field of a refused form that has an error (its first field,
    when the refusal is about the form as a whole): the browser brings it into view and a screen reader starts there,
    where a form far down a page would otherwise come back refused out of sight."""
    fields = form.visible_fields()
    refused = next((field for field in fields if field.errors), fields[0] if fields else None)
    if refused is not None:
        refused.field.widget.attrs["autofocus"] = True


def refusal_said(not_done: str, form) -> str:
    """What a page refused by `form` says at its top: what was not done, then the refusal of the form as a whole."""
    return " ".join([not_done, *form.non_field_errors()])


def form_call(request, form, call: Callable[[dict], object], success: str | Callable[[object], str]) -> bool:
    """On a valid POST of `form`, run one service call with its cleaned data and say how it went.

    A refusal (ApplicationError) goes on the form (`form_refusal`): its message above the fields the user filled in,
    each field's own words on that field; otherwise `success` is flashed (or what `success(result)` says, when it is a
    function of the call's result). Returns whether it went through (the caller then redirects).
    """
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        result = call(form.cleaned_data)
    except ApplicationError as exc:
        form_refusal(form, exc)
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True


def found_or_404(row: T | None, message: str) -> T:
    """`row`, or a 404 saying `message` when a lookup scoped to the user found nothing."""
    if row is None:
        raise Http404(message)
    return row


def download_response(file, *, filename: str, content_type: str) -> FileResponse:
    """A stored file, always as a download: never rendered inline by the browser, nor sniffed as another type."""
    response = FileResponse(file.open("rb"), as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
