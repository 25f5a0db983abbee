"""Patient pages of the slot waitlist, mounted in the portal's programs namespace (portal:programs:slot_requests and
the rest) where they began, so links in notices already sent keep working."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.views import action_call, action_from_url, call_with_messages, form_call, form_status, posted
from apps.patients.portal import portal_patient

from . import selectors, services
from .forms import SlotRequestForm
from .models import SlotOffer, SlotRequest
from .offers import (
    offer_link_actor,
    offer_link_answer,
    offer_link_answered,
    offer_link_invalid,
    offer_link_outdated,
    offer_problem,
    offer_token_read,
)

SLOT_OFFER_ACTIONS = {
    "accept": (services.slot_offer_accept, "Your weekly time is booked."),
    "decline": (services.slot_offer_decline, "You declined that time; you keep your place for others."),
}


def _own_slot_offer(request, pk) -> SlotOffer:
    patient = portal_patient(request, "waitlist.request_slot")
    return get_object_or_404(
        SlotOffer.objects.select_related("slot__location", "slot__room", "request__patient"),
        pk=pk,
        request__patient=patient,
    )


@login_required
@require_http_methods(["GET", "POST"])
def slot_requests(request):
    patient = portal_patient(request, "waitlist.request_slot")
    form = SlotRequestForm(posted(request), initial={"therapist": patient.primary_therapist})
    if form_call(
        request,
        form,
        lambda data: services.slot_request_create(actor=request.user, patient=patient, **data),
        "You are on the waitlist for a weekly time. We will write when one opens.",
    ):
        return redirect("portal:programs:slot_requests")
    requests = list(selectors.patient_slot_requests(patient=patient))
    for slot_request in requests:
        for offer in slot_request.outstanding_offers:
            # Past its deadline (before the sweep passes it on) it cannot be answered: the check answering makes.
            offer.answerable = not offer_problem(**services.slot_offer_open_check(offer))
            offer.needs_front_desk = offer.answerable and selectors.slot_offer_needs_front_desk(offer=offer)
    context = {"requests": requests, "form": form}
    return render(request, "waitlist/portal/slot_requests.html", context, status=form_status(form))


@login_required
@require_POST
def slot_request_cancel(request, pk):
    patient = portal_patient(request, "waitlist.request_slot")
    slot_request = get_object_or_404(SlotRequest, pk=pk, patient=patient)
    call_with_messages(
        request,
        lambda: services.slot_request_cancel(actor=request.user, request=slot_request),
        "You are no longer waiting for that weekly time.",
    )
    return redirect("portal:programs:slot_requests")


@login_required
@require_POST
def slot_offer_action(request, pk, action):
    answer = action_from_url(SLOT_OFFER_ACTIONS, action)
    offer = _own_slot_offer(request, pk)
    action_call(request, answer, offer=offer)
    return redirect("portal:programs:slot_requests")


@require_http_methods(["GET", "POST"])
def offer_link(request, token):
    """The target of the emailed accept/decline links, for seat and slot offers alike, signed in or not (see
    `offer_link_actor`). Answering takes a button press (a POST), so mail scanners that open links cannot answer for
    the patient."""
    link = offer_token_read(token)
    if link is None:
        return offer_link_invalid(request)
    return offer_link_answer(request, link)


def slot_offer_link(request, link):
    """A slot offer's emailed link: the offer and the answer asked for, or the answer once the button is pressed."""
    if request.user.is_authenticated:
        offer = _own_slot_offer(request, link.object_id)
    else:
        offer = get_object_or_404(
            SlotOffer.objects.select_related(
                "slot__therapist", "slot__location", "slot__room", "request__patient__user"
            ),
            pk=link.object_id,
        )
    if outdated := offer_link_outdated(request, link, offer.request.patient):
        return outdated
    if request.method == "POST":
        answer, success = SLOT_OFFER_ACTIONS[link.action]
        actor = offer_link_actor(request, offer.request.patient)
        call_with_messages(request, lambda: answer(actor=actor, offer=offer), success)
        return offer_link_answered(request, "portal:programs:slot_requests")
    is_current = not offer_problem(**services.slot_offer_open_check(offer))
    context = {"offer": offer, "action": link.action, "is_current": is_current}
    return render(request, "waitlist/portal/slot_offer.html", context)
