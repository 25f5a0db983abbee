"""Patient pages: the patient's conversations with the clinic."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.errors import ApplicationError

from . import pages, selectors, services
from .forms import NewThreadForm, ReplyForm
from .rules import can


def _patient_of(request):
    patient = getattr(request.user, "patient", None)
    if patient is None or not can(request.user, "messaging.use_portal_messages"):
        raise PermissionDenied
    return patient


@login_required
@require_GET
def thread_list(request):
    _patient_of(request)
    return render(request, "messaging/portal/list.html", {"threads": selectors.threads_visible_to(user=request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def thread_new(request):
    patient = _patient_of(request)
    form = NewThreadForm(
        request.POST or None,
        request.FILES or None,
        therapists=selectors.therapists_taking_messages_from(patient=patient),
    )
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.thread_start(
                actor=request.user,
                patient=patient,
                therapist=form.therapist(),
                subject=form.cleaned_data["subject"],
                text=form.cleaned_data["text"],
                attachments=form.cleaned_data["attachments"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Message sent.")
            return redirect("portal:message_thread", thread.pk)
    return render(request, "messaging/portal/new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def thread_detail(request, pk):
    _patient_of(request)
    thread = pages.thread_or_404(request, pk)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_post(
                actor=request.user,
                thread=thread,
                text=form.cleaned_data["text"],
                attachments=form.cleaned_data["attachments"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Message sent.")
            return redirect("portal:message_thread", thread.pk)
    context = pages.thread_context(request, thread, form)
    return render(request, "messaging/portal/thread.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def attachment(request, pk):
    _patient_of(request)
    return pages.attachment_download(request, pk)
