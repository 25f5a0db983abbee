"""What the portal's and the inbox's pages share: the thread page's data and the attachment download."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from apps.core.errors import ApplicationError, NotFound
from apps.core.forms import FORM_REFUSED_STATUS
from apps.core.views import download_response, form_refused_focus, posted, refusal_status

from . import selectors, services
from .forms import ReplyForm


def thread_or_404(request, pk):
    try:
        return selectors.thread_get_for(user=request.user, thread_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def submitted(form, write) -> tuple[object | None, int]:
    """`write(cleaned_data)` for a valid form, or None and the status the page answers the form refused with. What
    was written is refused as every form is (422), whether the form or the service refused it (a file of the wrong
    kind); the conversation refusing any reply (closed, its therapist gone) answers as the service does (409), its
    reason on the form, what was typed kept in it."""
    if not form.is_valid():
        form_refused_focus(form)
        return None, FORM_REFUSED_STATUS
    try:
        return write(form.cleaned_data), 200
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        form_refused_focus(form)
        return None, refusal_status(exc)


def thread_page(request, pk, template: str, url_name: str, sent: str):
    """A conversation with its reply form. Showing it opens the thread (access-logged for staff) and marks what the
    other side sent as read by this reader; a refused reply comes back with its reason and the text typed
    (`submitted` says with which status)."""
    thread = thread_or_404(request, pk)
    form, status = ReplyForm(posted(request), request.FILES or None), 200
    if request.method == "POST":
        reply, status = submitted(
            form,
            lambda data: services.message_post(
                actor=request.user, thread=thread, text=data["text"], attachments=data["attachments"]
            ),
        )
        if reply is not None:
            messages.success(request, sent)
            return redirect(url_name, thread.pk)
    services.messages_mark_read(actor=request.user, thread=thread)
    context = {
        "thread": thread,
        "messages_shown": selectors.thread_open(user=request.user, thread=thread),
        "form": form,
    }
    return render(request, template, context, status=status)


def new_thread_page(request, form, *, template: str, context: dict, patient, therapist):
    """The new-message form: a valid post opens the thread between `patient` and `therapist()` (asked only then, as
    the portal's choice of therapist is part of the form), then the conversation's page shows; a refused one comes
    back with its reason (`submitted`)."""
    status = 200
    if request.method == "POST":
        thread, status = submitted(
            form,
            lambda data: services.thread_start(
                actor=request.user,
                patient=patient,
                therapist=therapist(),
                subject=data["subject"],
                text=data["text"],
                attachments=data["attachments"],
            ),
        )
        if thread is not None:
            messages.success(request, "Message sent.")
            return redirect(context["thread_url_name"], thread.pk)
    return render(request, template, {**context, "form": form}, status=status)


def attachment_download(request, pk):
    """The file, to participants only, always as a download (never rendered inline by the browser)."""
    try:
        attachment = selectors.attachment_get_for(user=request.user, attachment_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return download_response(attachment.file, filename=attachment.download_name, content_type=attachment.kind)
