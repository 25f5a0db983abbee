"""The referral pages: the front desk's queue, inbound referrals with their clearance, the chart's clearance and
exception, and outbound referrals with their letter."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from apps.core.errors import NotFound
from apps.core.permissions import permission_require
from apps.core.views import call_with_messages, download_response, form_call, form_status, posted
from apps.patients.selectors import patient_open_chart

from . import selectors, services
from .forms import AcceptForm, ClearanceForm, InboundForm, OutboundForm, ReasonForm, SendForm
from .letters import letter_filename, letter_pdf


def _found(call, **kwargs):
    try:
        return call(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _patient(request, patient_id, perm: str):
    return _found(patient_open_chart, user=request.user, patient_id=patient_id, perm=perm)


@login_required
@require_safe
def queue(request):
    permission_require(request.user, "referrals.view_queue")
    context = {"inbound": list(selectors.inbound_waiting()), "outbound": list(selectors.outbound_drafts())}
    return render(request, "referrals/queue.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Inbound


@login_required
def inbound_new(request):
    permission_require(request.user, "referrals.receive_inbound")
    form = InboundForm(posted(request), request.FILES or None, user=request.user)
    created = []
    if form_call(
        request,
        form,
        lambda data: created.append(services.inbound_receive(actor=request.user, **data)),
        "Referral logged.",
    ):
        return redirect("referrals:inbound_detail", pk=created[0].pk)
    return render(request, "referrals/inbound_form.html", {"form": form}, status=form_status(form))


@login_required
@require_safe
def inbound_detail(request, pk):
    referral = _found(selectors.inbound_open, user=request.user, referral_id=pk)
    desk = request.user.has_perm("referrals.receive_inbound")
    matches = (
        selectors.patient_matches(user=request.user, referral=referral)
        if desk and referral.is_waiting and referral.patient_id is None
        else []
    )
    # The one chart that matches (typically the one just registered from here) is the one to accept onto.
    chosen = referral.patient_id or (matches[0].pk if len(matches) == 1 else None)
    context = {
        "referral": referral,
        "reason": selectors.referral_reason(referral),
        "decline_reason": selectors.decline_reason(referral),
        "clearances": list(referral.clearances.select_related("recorded_by")),
        "can_act": desk and referral.is_waiting,
        "matches": matches,
        "register_url": _register_url(referral),
        "accept_form": AcceptForm(user=request.user, initial={"patient": chosen}),
        "decline_form": ReasonForm(),
        "clearance_form": ClearanceForm(),
    }
    return render(request, "referrals/inbound_detail.html", context)


def _register_url(referral) -> str:
    """The new-chart page filled in with what the referral says about the person, coming back here once saved."""
    given, family = selectors.prospect_name_parts(referral)
    known = {
        "legal_first_name": given,
        "legal_last_name": family,
        "phone": referral.prospect_phone,
        "email": referral.prospect_email,
        "next": reverse("referrals:inbound_detail", args=[referral.pk]),
    }
    return f"{reverse('patients:create')}?{urlencode({k: v for k, v in known.items() if v})}"


def _referral_action(open_referral, detail: str, service, success: str, inputs=None):
    """A POST page that runs `service` on one referral the user may open, says how it went and goes back to
    `detail`. `inputs(request, referral)` reads the form's values for the service's other arguments; a form that
    does not validate passes empty ones, which the service refuses with its own message."""

    @login_required
    @require_POST
    def view(request, pk):
        referral = _found(open_referral, user=request.user, referral_id=pk)
        values = inputs(request, referral) if inputs else {}
        call_with_messages(request, lambda: service(actor=request.user, referral=referral, **values), success)
        return redirect(detail, pk=referral.pk)

    return view


def _inbound_action(service, success: str, inputs=None):
    return _referral_action(selectors.inbound_open, "referrals:inbound_detail", service, success, inputs)


def _accepted_patient(request, referral) -> dict:
    form = AcceptForm(request.POST, user=request.user)
    return {"patient": form.cleaned_data["patient"] if form.is_valid() else None}


def _decline_reason(request, referral) -> dict:
    form = ReasonForm(request.POST)
    return {"reason": form.cleaned_data["reason"] if form.is_valid() else ""}


def _clearance_upload(request, referral) -> dict:
    form = ClearanceForm(request.POST, request.FILES)
    form.is_valid()
    return {"upload": request.FILES.get("file"), "cleared_by": form.cleaned_data.get("cleared_by", "")}


inbound_review = _inbound_action(services.inbound_review_start, "Referral in review.")
inbound_accept = _inbound_action(services.inbound_accept, "Referral accepted onto the chart.", _accepted_patient)
inbound_decline = _inbound_action(services.inbound_decline, "Referral declined.", _decline_reason)
inbound_clearance = _inbound_action(services.clearance_record, "Clearance recorded.", _clearance_upload)


@login_required
@require_safe
def clearance_download(request, pk):
    """The file, always as a download (never rendered inline by the browser)."""
    clearance = _found(selectors.clearance_open, user=request.user, clearance_id=pk)
    return download_response(clearance.file, filename=clearance.download_name, content_type=clearance.kind)


# ---------------------------------------------------------------------------------------------------------------
# On the chart


@login_required
def patient_clearance(request, patient_id):
    """Record a clearance straight on the chart, or (with the permission) an exception to the requirement."""
    # Opened for those who may record a clearance (everyone who may grant an exception may too), not for all who
    # see the referrals card: a refusal then comes before the chart's row, logged as refused, never as viewed.
    patient = _patient(request, patient_id, "referrals.record_clearance")
    can_record = request.user.has_perm("referrals.record_clearance", patient)
    can_except = request.user.has_perm("referrals.grant_clearance_exception", patient)
    if not (can_record or can_except):
        raise PermissionDenied
    clearance_form = ClearanceForm(posted(request), request.FILES or None, prefix="clearance")
    exception_form = ReasonForm(posted(request), prefix="exception")
    if request.method == "POST" and "clearance-cleared_by" in request.POST:
        exception_form = ReasonForm(prefix="exception")
        if form_call(
            request,
            clearance_form,
            lambda data: services.clearance_record(
                actor=request.user, upload=data["file"], patient=patient, cleared_by=data["cleared_by"]
            ),
            "Clearance recorded on the chart.",
        ):
            return redirect("patients:detail", pk=patient.pk)
    elif request.method == "POST":
        clearance_form = ClearanceForm(prefix="clearance")
        if form_call(
            request,
            exception_form,
            lambda data: services.clearance_exception_grant(actor=request.user, patient=patient, reason=data["reason"]),
            "Exception recorded: psychotherapy may start without a clearance.",
        ):
            return redirect("patients:detail", pk=patient.pk)
    context = {
        "patient": patient,
        "state": selectors.clearance_state(patient=patient),
        "reads_referrals": request.user.has_perm("referrals.read_referrals", patient),
        "can_record": can_record,
        "can_except": can_except,
        "clearance_form": clearance_form,
        "exception_form": exception_form,
    }
    status = form_status(clearance_form, exception_form)
    return render(request, "referrals/patient_clearance.html", context, status=status)


# ---------------------------------------------------------------------------------------------------------------
# Outbound


@login_required
def outbound_new(request, patient_id):
    patient = _patient(request, patient_id, "referrals.view_patient_referrals")
    permission_require(request.user, "referrals.write_outbound", patient)
    form = OutboundForm(posted(request))
    created = []
    if form_call(
        request,
        form,
        lambda data: created.append(services.outbound_draft(actor=request.user, patient=patient, **data)),
        "Referral saved as a draft.",
    ):
        return redirect("referrals:outbound_detail", pk=created[0].pk)
    context = {"form": form, "patient": patient}
    return render(request, "referrals/outbound_form.html", context, status=form_status(form))


@login_required
@require_safe
def outbound_detail(request, pk):
    referral = _found(selectors.outbound_open, user=request.user, referral_id=pk)
    releases = selectors.release_choices(patient=referral.patient)
    context = {
        "referral": referral,
        "reason": selectors.referral_reason(referral),
        "can_send": request.user.has_perm("referrals.write_outbound", referral.patient),
        "send_form": SendForm(releases=releases),
        "has_release": releases.exists(),
        # Forms go out from the patient page's intake card, which only the intake staff have.
        "can_send_release_form": request.user.has_perm("intake.send_packet"),
    }
    return render(request, "referrals/outbound_detail.html", context)


def _outbound_action(service, success: str, inputs=None):
    return _referral_action(selectors.outbound_open, "referrals:outbound_detail", service, success, inputs)


def _send_release(request, referral) -> dict:
    form = SendForm(request.POST, releases=selectors.release_choices(patient=referral.patient))
    return {"release": form.cleaned_data["release"] if form.is_valid() else None}


outbound_send = _outbound_action(
    services.outbound_send, "Referral sent: the letter is ready to fax or email.", _send_release
)
outbound_acknowledge = _outbound_action(services.outbound_acknowledge, "Marked as acknowledged by the provider.")
outbound_close = _outbound_action(services.outbound_close, "Referral closed.")


@login_required
@require_safe
def outbound_letter(request, pk):
    referral = _found(selectors.outbound_open, user=request.user, referral_id=pk)
    response = HttpResponse(letter_pdf(referral), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letter_filename(referral)}"'
    return response
