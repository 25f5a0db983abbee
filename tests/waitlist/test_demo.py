"""The demo clinic shows the slot waitlist at work: people waiting, a freed time held for the portal patient, and a
withdrawn one, on the staff page and the portal alike."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from apps.accounts.models import User
from apps.patients.demo import PORTAL_PATIENT_EMAIL
from apps.scheduling.models import SeriesStatus
from apps.waitlist import demo
from apps.waitlist.models import FreedSlot, FreedSlotStatus, SlotOffer, SlotOfferStatus, SlotRequest, SlotRequestStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_clinic(django_db_setup, django_db_blocker):
    """Seeded once for the module (it takes a while), rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def _rows() -> dict:
    return {
        "requests": sorted(SlotRequest.objects.values_list("pk", "status")),
        "slots": sorted(FreedSlot.objects.values_list("pk", "status")),
        "offers": sorted(SlotOffer.objects.values_list("pk", "status")),
    }


def test_the_demo_has_people_waiting_and_a_freed_time_held_for_the_portal_patient(demo_clinic):
    live = SlotRequest.objects.filter(status__in=[SlotRequestStatus.WAITING, SlotRequestStatus.OFFERED])
    assert live.filter(status=SlotRequestStatus.WAITING).count() == 2
    assert live.filter(therapist__isnull=True).exists(), "one waits for any therapist"
    assert len({tuple(r.weekdays) for r in live}) == 3
    offer = SlotOffer.objects.select_related("slot__series", "request__patient").get(status=SlotOfferStatus.OUTSTANDING)
    assert offer.request.patient.email == PORTAL_PATIENT_EMAIL
    assert offer.request.status == SlotRequestStatus.OFFERED
    # The time was freed by a series cancelled through the booking's own services, and is still open.
    assert offer.slot.status == FreedSlotStatus.OPEN
    assert offer.slot.series.status == SeriesStatus.CANCELLED
    withdrawn = FreedSlot.objects.get(status=FreedSlotStatus.WITHDRAWN)
    assert withdrawn.withdrawn_by is not None and not withdrawn.offers.exists()

    rows = _rows()
    demo.seed(io.StringIO())
    assert _rows() == rows, "seeding again changes nothing"


def test_the_staff_page_shows_the_line_and_the_held_time(demo_clinic, login):
    page = login(User.objects.get(email="frontdesk@clinic.test")).get("/programs/slots/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Offered</span>" in html and "Any</td>" in html
    assert "with Sarah Chen" in html and "Withdraw…" in html


def test_the_portal_patient_can_take_the_held_time(demo_clinic, login):
    client = login(User.objects.get(email=PORTAL_PATIENT_EMAIL))
    page = client.get("/portal/programs/slots/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Take this time" in html and "No thanks, keep waiting" in html

    offer = SlotOffer.objects.get(status=SlotOfferStatus.OUTSTANDING)
    response = client.post(f"/portal/programs/slot-offers/{offer.pk}/accept/")
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == SlotOfferStatus.ACCEPTED and offer.series.patient.email == PORTAL_PATIENT_EMAIL
