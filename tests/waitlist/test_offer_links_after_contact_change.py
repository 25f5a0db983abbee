"""A waitlist offer's accept and decline links answer for the patient without a sign-in, so they stop working once
the email they were sent to is no longer the patient's; the offer itself stays open, to be answered in the portal or
through the clinic, until its deadline."""

import datetime as dt

import pytest
import time_machine

from apps.core import clock
from apps.patients.rules import LINK_SENT_TO_OLD_CONTACT
from apps.patients.services import patient_update
from apps.waitlist.models import SlotOffer
from apps.waitlist.services import slot_offer_accept
from tests.waitlist.test_slot_waitlist import chart_only_offer, weekly  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def _a_minute_later():
    """Signing times are whole seconds: a change a minute after the offer is told apart from it at any hour."""
    return time_machine.travel(clock.now() + dt.timedelta(minutes=1))


def test_an_offer_link_from_before_an_email_change_is_refused_and_the_offer_stays_open(
    client,
    personas,
    chart_only_offer,  # noqa: F811
):
    patient, paths = chart_only_offer
    assert client.get(paths["accept"]).status_code == 200
    with _a_minute_later():
        patient_update(actor=personas.front_desk, patient=patient, email="someone.new@example.test")
        for path in paths.values():
            for answer in (client.get(path), client.post(path)):
                assert answer.status_code == 404
                assert LINK_SENT_TO_OLD_CONTACT in answer.content.decode()
        offer = SlotOffer.objects.get()
        assert offer.status == "outstanding"
        # The clinic can still take the time for them.
        slot_offer_accept(actor=personas.front_desk, offer=offer)
    assert SlotOffer.objects.get().status == "accepted"


def test_an_offer_link_still_answers_after_a_change_of_something_else(client, personas, chart_only_offer):  # noqa: F811
    patient, paths = chart_only_offer
    with _a_minute_later():
        patient_update(actor=personas.front_desk, patient=patient, preferred_name="Sunny", city="Salem")
        assert client.post(paths["accept"]).status_code == 302
    assert SlotOffer.objects.get().status == "accepted"
