"""Patient pages: the patient's conversations with the clinic."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from apps.core.views import posted
from apps.patients.portal import portal_patient

from . import pages, selectors
from .forms import NewThreadForm


@login_required
@require_safe
def thread_list(request):
    portal_patient(request, "messaging.use_portal_messages")
    return render(request, "messaging/portal/list.html", {"threads": selectors.threads_visible_to(user=request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def thread_new(request):
    patient = portal_patient(request, "messaging.use_portal_messages")
    therapists = selectors.therapists_taking_messages_from(patient=patient)
    form = NewThreadForm(posted(request), request.FILES or None, therapists=therapists)
    return pages.new_thread_page(
        request,
        form,
        template="messaging/portal/new.html",
        context={"thread_url_name": "portal:message_thread"},
        patient=patient,
        therapist=form.therapist,
    )


@login_required
@require_http_methods(["GET", "POST"])
def thread_detail(request, pk):
    portal_patient(request, "messaging.use_portal_messages")
    return pages.thread_page(request, pk, "messaging/portal/thread.html", "portal:message_thread", "Message sent.")


@login_required
@require_safe
def attachment(request, pk):
    portal_patient(request, "messaging.use_portal_messages")
    return pages.attachment_download(request, pk)
