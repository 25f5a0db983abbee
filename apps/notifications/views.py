"""The staff message log and Twilio's webhooks (the pages behind reminder links are scheduling's link_views)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from twilio.request_validator import RequestValidator

from apps.core.api_lookups import id_or_none
from apps.core.errors import NotFound
from apps.core.htmx import render_page
from apps.core.links import absolute_url, next_or
from apps.core.permissions import permission_require
from apps.core.views import call_with_messages, query_without_page

from . import delivery, selectors
from .labels import purpose_label
from .models import Channel, MessageStatus
from .sms_inbound import sms_inbound_handle
from .sms_status import sms_status_record

SCHEDULED_PREVIEW = 10  # scheduled messages shown under the history before "Show all scheduled"


@login_required
@require_safe
def message_log(request):
    """What happened (sent, failed, cancelled) newest first, then what is scheduled, in its own section.

    History comes first because staff open the log to see what went out and what failed; ordered by send time,
    the reminders queued days ahead (hundreds in a busy week) buried it. The scheduled section below shows the next
    few due, and all of them, paged, when the status filter asks for pending messages.
    """
    permission_require(request.user, "notifications.view_messages")
    patient = request.GET.get("patient", "")
    filters = {
        "patient_id": id_or_none(patient),
        "purpose": request.GET.get("purpose", ""),
        "status": request.GET.get("status", "") if request.GET.get("status") in MessageStatus.values else "",
        "channel": request.GET.get("channel", "") if request.GET.get("channel") in Channel.values else "",
    }
    number = request.GET.get("page")
    context = {
        "history": None,
        "scheduled": None,
        "filters": filters,
        "purposes": [(p, purpose_label(p)) for p in selectors.message_purposes()],
        "statuses": MessageStatus.choices,
        "channels": Channel.choices,
        "can_resend": request.user.has_perm("notifications.resend_message"),
        "failed_count": selectors.message_history(user=request.user, status=MessageStatus.FAILED).count(),
        "query": query_without_page(request),
    }
    if filters["status"] == MessageStatus.PENDING:
        context["paged"] = "scheduled"
        context["page"] = context["scheduled"] = Paginator(
            selectors.messages_scheduled(user=request.user, **filters), 50
        ).get_page(number)
    else:
        context["paged"] = "history"
        context["page"] = context["history"] = Paginator(
            selectors.message_history(user=request.user, **filters), 50
        ).get_page(number)
    if not filters["status"]:
        scheduled = selectors.messages_scheduled(user=request.user, **filters)
        context["scheduled"] = list(scheduled[:SCHEDULED_PREVIEW])
        context["scheduled_total"] = scheduled.count() if len(context["scheduled"]) == SCHEDULED_PREVIEW else None
        all_scheduled = request.GET.copy()
        all_scheduled.pop("page", None)
        all_scheduled["status"] = MessageStatus.PENDING
        context["scheduled_all_query"] = all_scheduled.urlencode()
    return render_page(request, "notifications/message_log.html", context, partial="notifications/_message_rows.html")


@login_required
@require_POST
def message_resend(request, pk):
    permission_require(request.user, "notifications.resend_message")
    try:
        message = selectors.message_get(user=request.user, message_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    call_with_messages(
        request,
        lambda: delivery.message_resend(actor=request.user, message=message),
        "The message is queued to be sent again.",
    )
    return redirect(next_or(request, "notifications:log"))


# -------------------------------------------------------------------------------------------------------------
# Twilio webhooks


def _twilio_signed(request) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = absolute_url(request.get_full_path())
    return RequestValidator(token).validate(url, request.POST.dict(), signature)


def _twiml(reply: str) -> HttpResponse:
    body = f"<Message>{escape(reply)}</Message>" if reply else ""
    return HttpResponse(f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>', content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_status(request):
    """Twilio's delivery report for a text we sent."""
    if not _twilio_signed(request):
        return HttpResponse("Invalid signature.", status=403)
    sid = request.POST.get("MessageSid", "")
    status = request.POST.get("MessageStatus", "")
    if not sid or not status:
        return HttpResponse("MessageSid and MessageStatus are required.", status=400)
    sms_status_record(provider_id=sid, provider_status=status, error_code=request.POST.get("ErrorCode", ""))
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request):
    """A text from a patient: C or YES confirms, CANCEL is answered with how to cancel, STOP opts out.

    With Advanced Opt-Out, Twilio marks a text it took as an opt-out with OptOutType=STOP, whatever its words.
    """
    if not _twilio_signed(request):
        return HttpResponse("Invalid signature.", status=403)
    reply = sms_inbound_handle(
        from_number=request.POST.get("From", ""),
        body=request.POST.get("Body", ""),
        carrier_opted_out=request.POST.get("OptOutType", "").strip().upper() == "STOP",
    )
    return _twiml(reply)
