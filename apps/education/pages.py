"""What the staff pages and the portal share: finding an assignment for the reader, and sending a library file."""

from django.http import Http404

from apps.core.errors import NotFound
from apps.core.views import download_response

from . import selectors
from .models import Assignment, LibraryItem


def assignment_or_404(request, pk, perm: str = "education.read_entries") -> Assignment:
    try:
        return selectors.assignment_get_for(user=request.user, assignment_id=pk, perm=perm)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def file_download(item: LibraryItem):
    """The item's file, always as a download (never rendered inline by the browser)."""
    if not item.file:
        raise Http404("This item has no file.")
    return download_response(item.file, filename=item.download_name, content_type=item.file_kind)
