"""Reads that bring the other apps' pieces together for the portal home."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.billing.selectors.ledger import with_patient_balance
from apps.core import clock
from apps.outcomes.selectors import with_questionnaires_waiting
from apps.patients.models import Patient
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


@dataclass(frozen=True)
class HomeFigures:
    balance: Decimal  # what the patient owes, as the billing card says it
    questionnaires_waiting: int  # as the outcomes card counts them
    two_step_offer: bool  # whether to offer two-step sign-in


def home_figures(*, patient) -> HomeFigures:
    """The portal home's figures of one value each, read together as columns of the patient's own row: one query
    where the billing card, the outcomes card and the two-step offer would each run their own. Two-step sign-in is
    offered until the patient has turned it on or said 'not now' once."""
    turned_on = TOTPDevice.objects.filter(user=OuterRef("user_id"), confirmed=True)
    answered = PortalAccount.objects.filter(user=OuterRef("user_id"), two_step_offer_answered_at__isnull=False)
    rows = with_questionnaires_waiting(
        with_patient_balance(Patient.objects.filter(pk=patient.pk), patient_ref="pk"), patient_ref="pk"
    ).annotate(two_step_offer=ExpressionWrapper(~Exists(turned_on) & ~Exists(answered), output_field=BooleanField()))
    balance, waiting, offer = rows.values_list("patient_balance", "questionnaires_waiting", "two_step_offer").get()
    return HomeFigures(balance=balance, questionnaires_waiting=waiting, two_step_offer=offer)
