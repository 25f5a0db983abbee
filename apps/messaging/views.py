"""The clinic's inbox: patients' conversations with the front desk (and with a therapist who takes messages)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_safe

from apps.core.api_lookups import id_or_none
from apps.core.errors import ApplicationError
from apps.core.views import call_with_messages, posted
from apps.patients.selectors import patients_visible_to

from . import pages, selectors, services
from .forms import NewThreadForm
from .models import ThreadStatus
from .rules import is_clinic_inbox_staff

PAGE_SIZE = 25


def _require_inbox(request) -> None:
    if not request.user.has_perm("messaging.view_inbox"):
        raise PermissionDenied


@login_required
@require_safe
def inbox(request):
    _require_inbox(request)
    unread_only = request.GET.get("unread") == "1"
    status = request.GET.get("status", "")
    threads = selectors.inbox(user=request.user, unread_only=unread_only, status=status)
    patient = None
    if (patient_id := id_or_none(request.GET.get("patient"))) is not None:
        patient = patients_visible_to(user=request.user).filter(pk=patient_id).first()
        if patient is None:
            raise Http404("No such patient.")
        threads = threads.filter(patient=patient)
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    context = {
        "page": Paginator(threads, PAGE_SIZE).get_page(request.GET.get("page")),
        "unread_only": unread_only,
        "status": status,
        "statuses": ThreadStatus.choices,
        "patient": patient,
        "query": query,
    }
    return render(request, "messaging/inbox.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def thread_new(request):
    """Write first to a patient, from their chart's page."""
    _require_inbox(request)
    patient_id = id_or_none(request.GET.get("patient"))
    patient = patients_visible_to(user=request.user).filter(pk=patient_id).first() if patient_id is not None else None
    if patient is None:
        raise Http404("No such patient.")
    return pages.new_thread_page(
        request,
        NewThreadForm(posted(request), request.FILES or None),
        template="messaging/new.html",
        context={"patient": patient, "thread_url_name": "messaging:thread"},
        patient=patient,
        # The front desk writes from the clinic's inbox; a therapist who takes messages, as themselves.
        therapist=lambda: None if is_clinic_inbox_staff(request.user) else request.user,
    )


@login_required
@require_http_methods(["GET", "POST"])
def thread_detail(request, pk):
    _require_inbox(request)
    sent = "Reply sent. The patient gets an email saying a message is waiting."
    return pages.thread_page(request, pk, "messaging/thread.html", "messaging:thread", sent)


@login_required
@require_http_methods(["GET", "POST"])
def thread_close(request, pk):
    """GET asks to confirm; POST closes."""
    _require_inbox(request)
    thread = pages.thread_or_404(request, pk)
    if not request.user.has_perm("messaging.close_thread", thread):
        raise PermissionDenied
    if request.method == "POST":
        call_with_messages(
            request,
            lambda: services.thread_close(actor=request.user, thread=thread),
            "Conversation closed. It stays in the patient's record.",
        )
        return redirect("messaging:thread", thread.pk)
    return render(request, "messaging/close_confirm.html", {"thread": thread})


@login_required
@require_http_methods(["GET", "POST"])
def thread_hand_over(request, pk):
    """GET asks first, naming the patient's therapist, or says why the conversation cannot go to them (409); the
    confirmation's post hands it over, and the front desk is back in its inbox, which no longer lists it."""
    _require_inbox(request)
    thread = pages.thread_or_404(request, pk)
    if not request.user.has_perm("messaging.hand_over_thread", thread):
        raise PermissionDenied
    refusal, status = services.thread_hand_over_refusal(thread=thread), None
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        try:
            handed = services.thread_hand_over(actor=request.user, thread=thread)
        except ApplicationError as exc:
            refusal, status = exc.message, exc.status
        else:
            messages.success(
                request,
                f"Conversation handed to {handed.therapist.full_name}. They are emailed that it is waiting in their "
                "inbox; it has left the clinic's.",
            )
            return redirect("messaging:inbox")
    context = {"thread": thread, "therapist": thread.patient.primary_therapist, "refusal": refusal}
    return render(request, "messaging/hand_over_confirm.html", context, status=status or (409 if refusal else 200))


@login_required
@require_safe
def attachment(request, pk):
    _require_inbox(request)
    return pages.attachment_download(request, pk)
