"""Staff pages of the slot waitlist, mounted in the programs namespace (programs:slot_waitlist) where they began."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError
from apps.core.views import call_with_messages

from . import selectors, services
from .forms import StaffSlotRequestForm
from .models import SlotRequest


def _require_manager(user) -> None:
    if not user.has_perm("waitlist.manage_slot_waitlist"):
        raise PermissionDenied


@login_required
def slot_waitlist(request):
    """Everyone waiting for a weekly slot, in the order they will be offered one, and the freed times."""
    _require_manager(request.user)
    form = StaffSlotRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.slot_request_create(actor=request.user, **data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{data['patient'].display_name} is waiting for a weekly time.")
            return redirect("programs:slot_waitlist")
    return render(request, "waitlist/slot_waitlist.html", {**selectors.slot_waitlist(), "form": form})


@login_required
@require_POST
def slot_request_cancel(request, pk):
    _require_manager(request.user)
    slot_request = get_object_or_404(SlotRequest, pk=pk)
    call_with_messages(
        request,
        lambda: services.slot_request_cancel(actor=request.user, request=slot_request),
        "Removed from the slot waitlist.",
    )
    return redirect("programs:slot_waitlist")
