"""Reads that bring the other apps' pieces together for the portal home."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from apps.core import clock
from apps.programs import selectors as programs
from apps.waitlist.selectors import patient_slot_requests_live, slot_offer_when

from .models import PortalAccount


@dataclass(frozen=True)
class OpenOffer:
    what: str
    expires_at: dt.datetime
    url: str


def open_offers(*, patient) -> list[OpenOffer]:
    """Places held for the patient that need a yes or no before a deadline, the soonest deadline first:
    seats in group programs and weekly times with a therapist."""
    now = clock.now()
    offers = [
        OpenOffer(
            what=f"A seat in {enrollment.program.title}",
            expires_at=enrollment.offer_expires_at,
            url=reverse("portal:programs:detail", args=[enrollment.program_id]),
        )
        for enrollment in programs.patient_enrollments_shown(patient=patient)
        if enrollment.status == "offered" and enrollment.offer_expires_at and enrollment.offer_expires_at > now
    ]
    # Only a live request (waiting or offered) holds an outstanding offer.
    for request in patient_slot_requests_live(patient=patient):
        for offer in request.outstanding_offers:
            if offer.expires_at <= now:
                continue
            when = slot_offer_when(offer, patient=patient)
            with_whom = offer.slot.therapist.full_name
            offers.append(
                OpenOffer(
                    what=f"A weekly time: {when} with {with_whom}",
                    expires_at=offer.expires_at,
                    url=reverse("portal:programs:slot_requests"),
                )
            )
    return sorted(offers, key=lambda offer: offer.expires_at)


def two_step_offer_is_open(*, user) -> bool:
    """Offer two-step sign-in until the patient has turned it on or said 'not now' once. Both are asked in one
    query: the portal home asks on every visit."""
    turned_on = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    answered = PortalAccount.objects.filter(user=OuterRef("pk"), two_step_offer_answered_at__isnull=False)
    return User.objects.filter(pk=user.pk).exclude(Exists(turned_on)).exclude(Exists(answered)).exists()
