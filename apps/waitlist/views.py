"""Staff pages of the slot waitlist, mounted in the programs namespace (programs:slot_waitlist) where they began."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError
from apps.core.views import call_with_messages, form_refusal, form_status, posted

from . import selectors, services
from .forms import StaffSlotRequestForm
from .models import SlotRequest, SlotRequestStatus


def _require_manager(user) -> None:
    if not user.has_perm("waitlist.manage_slot_waitlist"):
        raise PermissionDenied


@login_required
def slot_waitlist(request):
    """Everyone waiting for a weekly slot, in the order they will be offered one, and the freed times."""
    _require_manager(request.user)
    form = StaffSlotRequestForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.slot_request_create(actor=request.user, **data)
        except ApplicationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"{data['patient'].display_name} is waiting for a weekly time.")
            return redirect("programs:slot_waitlist")
    context = {**selectors.slot_waitlist(), "form": form}
    return render(request, "waitlist/slot_waitlist.html", context, status=form_status(form))


@login_required
@require_POST
def slot_request_cancel(request, pk):
    """Asks first: the patient loses their place in line, which cannot be given back."""
    _require_manager(request.user)
    slot_request = get_object_or_404(
        SlotRequest.objects.select_related("patient"),
        pk=pk,
        status__in=[SlotRequestStatus.WAITING, SlotRequestStatus.OFFERED],
    )
    if request.POST.get("confirmed") != "yes":
        return render(request, "waitlist/request_remove_confirm.html", {"slot_request": slot_request})
    call_with_messages(
        request,
        lambda: services.slot_request_cancel(actor=request.user, request=slot_request),
        "Removed from the slot waitlist.",
    )
    return redirect("programs:slot_waitlist")


@login_required
@require_POST
def freed_slot_withdraw(request, pk):
    """Asks first, naming who holds an offer of the time: withdrawing it cannot be undone."""
    _require_manager(request.user)
    slot = get_object_or_404(selectors.freed_slots_open(), pk=pk)
    if request.POST.get("confirmed") != "yes":
        context = {"slot": slot, "offer": selectors.freed_slot_offer_outstanding(slot=slot)}
        return render(request, "waitlist/freed_slot_withdraw_confirm.html", context)
    call_with_messages(
        request,
        lambda: services.freed_slot_withdraw(actor=request.user, slot=slot),
        "The freed time is withdrawn: it is no longer offered to anyone waiting.",
    )
    return redirect("programs:slot_waitlist")
