"""Reads for the individual-slot waitlist, scoped to what the user may see and shaped once here."""

from django.db.models import Count, Min, Prefetch, QuerySet

from apps.accounts.roles import Role
from apps.core.errors import Conflict
from apps.core.request_memo import memo_read
from apps.scheduling import extensions

from .models import LIVE_SLOT_REQUEST_STATUSES, FreedSlot, SlotOffer, SlotOfferStatus, SlotRequest, SlotRequestStatus


def _with_outstanding_offer(qs: QuerySet[SlotRequest]) -> QuerySet[SlotRequest]:
    outstanding = SlotOffer.objects.filter(status=SlotOfferStatus.OUTSTANDING).select_related("slot", "slot__therapist")
    return qs.prefetch_related(Prefetch("offers", queryset=outstanding, to_attr="outstanding_offers"))


def patient_slot_requests(*, patient) -> QuerySet[SlotRequest]:
    qs = SlotRequest.objects.filter(patient=patient).select_related("therapist", "service_type")
    return _with_outstanding_offer(qs).order_by("-created_at")


def patient_slot_requests_live(*, patient) -> list[SlotRequest]:
    """The patient's requests still waiting or offered, with their outstanding offers, read once per request: the
    care ladder's next step, the programs card and the portal's open offers show the same rows. For pages."""
    return memo_read(
        f"waitlist.live_slot_requests:{patient.pk}",
        lambda: list(patient_slot_requests(patient=patient).filter(status__in=LIVE_SLOT_REQUEST_STATUSES)),
    )


def slot_requests_visible_to(*, user) -> QuerySet[SlotRequest]:
    """The front desk and admins see every request; a patient sees their own; others none. Oldest first."""
    qs = _with_outstanding_offer(SlotRequest.objects.select_related("patient", "therapist", "service_type"))
    if user.has_perm("waitlist.manage_slot_waitlist"):
        return qs.order_by("created_at", "pk")
    if user.is_authenticated and user.has_role(Role.PATIENT):
        return qs.filter(patient__user=user).order_by("created_at", "pk")
    return qs.none()


def slot_waitlist() -> dict:
    """The slot waitlist for staff: people waiting or holding an offer in arrival order, and open freed slots."""
    waiting = _with_outstanding_offer(
        SlotRequest.objects.filter(status__in=[SlotRequestStatus.WAITING, SlotRequestStatus.OFFERED])
        .select_related("patient", "therapist", "service_type")
        .order_by("created_at", "pk")
    )
    open_slots = FreedSlot.objects.filter(status="open").select_related("therapist", "room").order_by("free_from")
    return {"requests": waiting, "open_slots": open_slots}


def slot_waitlist_waiting() -> dict:
    """How many patients wait for a weekly time with no time offered to them yet, and since when the longest has
    waited (None when nobody waits). One aggregate query."""
    return SlotRequest.objects.filter(status=SlotRequestStatus.WAITING).aggregate(
        waiting=Count("pk"), since=Min("created_at")
    )


def slot_offer_needs_front_desk(*, offer: SlotOffer) -> bool:
    """Whether only the front desk can book the offered time: the patient is new to its therapist at a reduced fee
    past the therapist's cap, which only staff may override. The portal then says to call rather than offer a
    button the booking would refuse; the check is the booking's own (asked with no override, it writes nothing)."""
    try:
        extensions.reduced_fee_cap_enforce(actor=None, therapist=offer.slot.therapist, patient=offer.request.patient)
    except Conflict:
        return True
    return False
