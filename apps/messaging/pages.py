"""What the portal's and the inbox's pages share: the thread page's data and the attachment download."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from apps.core.errors import ApplicationError, NotFound
from apps.core.views import download_response

from . import selectors, services
from .forms import ReplyForm


def thread_or_404(request, pk):
    try:
        return selectors.thread_get_for(user=request.user, thread_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def submitted(form, write) -> object | None:
    """`write(cleaned_data)` for a valid form; a refusal from the service becomes the form's error (and None)."""
    if not form.is_valid():
        return None
    try:
        return write(form.cleaned_data)
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return None


def thread_page(request, pk, template: str, url_name: str, sent: str, *, refused_status: int = 400):
    """A conversation with its reply form. Showing it opens the thread (access-logged for staff) and marks what the
    other side sent as read by this reader; a refused reply answers `refused_status` with the form's message."""
    thread = thread_or_404(request, pk)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        reply = submitted(
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
    return render(request, template, context, status=refused_status if form.errors else 200)


def new_thread_page(request, form, *, template: str, context: dict, patient, therapist, refused_status: int = 400):
    """The new-message form: a valid post opens the thread between `patient` and `therapist()` (asked only then, as
    the portal's choice of therapist is part of the form), then the conversation's page shows; a refused one answers
    `refused_status`."""
    if request.method == "POST":
        thread = submitted(
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
    return render(request, template, {**context, "form": form}, status=refused_status if form.errors else 200)


def attachment_download(request, pk):
    """The file, to participants only, always as a download (never rendered inline by the browser)."""
    try:
        attachment = selectors.attachment_get_for(user=request.user, attachment_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return download_response(attachment.file, filename=attachment.download_name, content_type=attachment.kind)
