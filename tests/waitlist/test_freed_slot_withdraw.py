"""The front desk withdraws a freed weekly time the clinic no longer offers (the therapist keeps the hour for
something else, the office closes), after being asked: nobody is offered it any more; whoever held an offer of it
goes back in line in their place and is told the clinic no longer offers it, not that it was booked. Removing
someone from the waitlist asks first too."""

import pytest
from django.db import IntegrityError, transaction

from apps.audit.models import AccessLog
from apps.core.errors import Conflict, PermissionDenied
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from apps.scheduling import locations
from apps.waitlist.models import FreedSlot, FreedSlotStatus, SlotOfferStatus, SlotRequest, SlotRequestStatus
from apps.waitlist.services import freed_slot_withdraw
from tests.factories import RoomFactory
from tests.waitlist.test_slot_place import free_a_friday_time

pytestmark = pytest.mark.django_db


def _withdraw_url(slot) -> str:
    return f"/programs/slots/freed/{slot.pk}/withdraw/"


def test_the_first_press_asks_naming_the_time_and_who_holds_its_offer(personas, login, west):
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west))
    desk = login(personas.front_desk)
    assert "Withdraw…" in desk.get("/programs/slots/").content.decode()

    asked = desk.post(_withdraw_url(slot))

    page = asked.content.decode()
    assert asked.status_code == 200 and "Withdraw Fridays at 10:00" in page
    assert f"{personas.patient.display_name} holds an offer of this time" in page
    assert 'name="confirmed" value="yes"' in page
    assert FreedSlot.objects.get(pk=slot.pk).status == FreedSlotStatus.OPEN


def test_withdrawing_an_offered_time_puts_its_holder_back_in_line_and_tells_them_why(personas, login, west):
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west))
    offer = slot.offers.get()

    response = login(personas.front_desk).post(_withdraw_url(slot), {"confirmed": "yes"})

    assert response.status_code == 302
    slot.refresh_from_db()
    offer.refresh_from_db()
    assert (slot.status, slot.withdrawn_by, slot.withdrawn_at is not None) == (
        FreedSlotStatus.WITHDRAWN,
        personas.front_desk,
        True,
    )
    assert offer.status == SlotOfferStatus.WITHDRAWN
    assert SlotRequest.objects.get(pk=offer.request_id).status == SlotRequestStatus.WAITING
    notice = Message.objects.get(template="slot_offer_withdrawn")
    rendered = message_render(template=notice.template, context=notice.context, channel="email")
    assert "no longer offers that time" in rendered.text and "booked for another session" not in rendered.text
    assert "no longer offered" in rendered.subject
    assert AccessLog.objects.filter(action="slot_offer_withdraw", actor=personas.front_desk).exists()
    assert "Fridays at 10:00" not in login(personas.front_desk).get("/programs/slots/").content.decode()


def test_an_offer_withdrawn_because_its_time_was_booked_still_says_so(personas, west):
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west))
    freed_slot_withdraw(actor=personas.front_desk, slot=slot)
    context = dict(Message.objects.get(template="slot_offer_withdrawn").context)

    for booked in (
        {**context, "withdrawn_by_clinic": False},
        {k: v for k, v in context.items() if k != "withdrawn_by_clinic"},
    ):
        rendered = message_render(template="slot_offer_withdrawn", context=booked, channel="email")
        assert "booked for another session" in rendered.text and "has been booked" in rendered.subject


def test_a_withdrawn_time_lets_its_office_close(personas, west):
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west), waiting=False)
    with pytest.raises(Conflict):
        locations.location_save(actor=personas.admin, location=west, is_active=False)

    freed_slot_withdraw(actor=personas.front_desk, slot=slot)

    assert not locations.location_save(actor=personas.admin, location=west, is_active=False).is_active


def test_a_time_taken_or_already_withdrawn_is_not_withdrawn_again(personas, login, west):
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west), waiting=False)
    freed_slot_withdraw(actor=personas.front_desk, slot=slot)

    with pytest.raises(Conflict, match="already withdrawn"):
        freed_slot_withdraw(actor=personas.front_desk, slot=slot)
    assert login(personas.front_desk).post(_withdraw_url(slot), {"confirmed": "yes"}).status_code == 404


@pytest.mark.parametrize("persona", ["therapist", "billing", "patient_user"])
def test_only_the_front_desk_and_admins_withdraw_a_freed_time(personas, login, west, persona):
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west))
    response = login(getattr(personas, persona)).post(_withdraw_url(slot), {"confirmed": "yes"})
    assert response.status_code == 403 and personas.patient.display_name not in response.content.decode()
    with pytest.raises(PermissionDenied):
        freed_slot_withdraw(actor=getattr(personas, persona), slot=slot)
    assert FreedSlot.objects.get(pk=slot.pk).status == FreedSlotStatus.OPEN


def test_the_database_keeps_who_withdrew_a_time_and_when(personas, west):
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west), waiting=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        FreedSlot.objects.filter(pk=slot.pk).update(status=FreedSlotStatus.WITHDRAWN)


def test_removing_someone_from_the_waitlist_asks_first(personas, login, west):
    free_a_friday_time(personas, location=west, room=RoomFactory(location=west))
    request = SlotRequest.objects.get(patient=personas.patient)
    desk = login(personas.front_desk)

    asked = desk.post(f"/programs/slots/{request.pk}/cancel/")
    assert asked.status_code == 200
    assert f"Remove {personas.patient.display_name} from the slot waitlist?" in asked.content.decode()
    assert SlotRequest.objects.get(pk=request.pk).status == SlotRequestStatus.OFFERED

    assert desk.post(f"/programs/slots/{request.pk}/cancel/", {"confirmed": "yes"}).status_code == 302
    assert SlotRequest.objects.get(pk=request.pk).status == SlotRequestStatus.CANCELLED
