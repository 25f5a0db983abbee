"""What the portal's and the inbox's pages share: the thread page's data and the attachment download."""

from django.http import FileResponse, Http404

from apps.core.errors import NotFound

from . import selectors, services


def thread_or_404(request, pk):
    try:
        return selectors.thread_get_for(user=request.user, thread_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def thread_context(request, thread, form) -> dict:
    """Open the thread (access-logged for staff) and mark what the other side sent as read by this reader."""
    services.messages_mark_read(actor=request.user, thread=thread)
    return {"thread": thread, "messages_shown": selectors.thread_open(user=request.user, thread=thread), "form": form}


def attachment_download(request, pk):
    """The file, to participants only, always as a download (never rendered inline by the browser)."""
    try:
        attachment = selectors.attachment_get_for(user=request.user, attachment_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.download_name, content_type=attachment.kind
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
