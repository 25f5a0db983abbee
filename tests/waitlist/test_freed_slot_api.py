"""The freed weekly times through the API, as the slot waitlist page shows and withdraws them: for the front desk
and administrators only, each with where and when it is on its office's clock and who holds an offer of it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.waitlist.models import FreedSlot, FreedSlotStatus, SlotOfferStatus, SlotRequest, SlotRequestStatus
from tests.factories import RoomFactory
from tests.waitlist.test_slot_place import free_a_friday_time

pytestmark = pytest.mark.django_db


def _url(slot=None, action="") -> str:
    return f"/api/freed-slots/{slot.pk}/{action}" if slot else "/api/freed-slots/"


def test_the_front_desk_reads_each_freed_time_with_its_place_and_who_holds_its_offer(personas, login, west):
    room = RoomFactory(location=west, name="Room 2")
    slot, _ = free_a_friday_time(personas, location=west, room=room)
    offer = slot.offers.get()

    [listed] = login(personas.front_desk, api=True).get(_url()).json()["results"]

    assert listed["id"] == slot.pk and listed["status"] == "open"
    assert (listed["weekly_time"], listed["place"]) == ("Fridays at 10:00 AM Los Angeles time", "West office, Room 2")
    assert (listed["therapist"], listed["therapist_name"]) == (personas.therapist.pk, personas.therapist.full_name)
    assert (listed["location"], listed["room"], listed["local_start_time"]) == (west.pk, room.pk, "10:00:00")
    holder = listed["offered_to"]
    assert (holder["id"], holder["slot_request"]) == (offer.pk, offer.request_id)
    assert holder["patient"] == personas.patient.pk
    assert holder["patient_name"] == personas.patient.display_name


def test_withdrawing_through_the_api_is_the_pages_withdrawal_and_a_second_one_is_refused(personas, login, west):
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west))
    offer = slot.offers.get()
    desk = login(personas.front_desk, api=True)

    withdrawn = desk.post(_url(slot, "withdraw/"))

    assert withdrawn.status_code == 200
    body = withdrawn.json()
    assert (body["status"], body["withdrawn_by"], body["offered_to"]) == ("withdrawn", personas.front_desk.pk, None)
    offer.refresh_from_db()
    assert offer.status == SlotOfferStatus.WITHDRAWN
    assert SlotRequest.objects.get(pk=offer.request_id).status == SlotRequestStatus.WAITING
    again = desk.post(_url(slot, "withdraw/"))
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "This time is already withdrawn: nothing to withdraw."
    assert [s["id"] for s in desk.get(_url(), {"status": "withdrawn"}).json()["results"]] == [slot.pk]
    assert desk.get(_url(), {"status": "open"}).json()["results"] == []


def test_an_unknown_status_filter_is_refused_with_the_choices(personas, login):
    refused = login(personas.front_desk, api=True).get(_url(), {"status": "gone"})

    assert refused.status_code == 400
    assert "status" in refused.json()["error"]["fields"]


@pytest.mark.parametrize("who", ["therapist", "patient_user"])
def test_nobody_else_reads_or_withdraws_a_freed_time(personas, login, west, who):
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west))
    client = login(getattr(personas, who), api=True)

    answers = [client.get(_url()), client.get(_url(slot)), client.post(_url(slot, "withdraw/"))]

    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert "front desk and administrators" in answers[0].json()["error"]["message"]
    assert FreedSlot.objects.get(pk=slot.pk).status == FreedSlotStatus.OPEN


def test_the_api_lists_the_open_times_the_slot_waitlist_page_shows(personas, login, west):
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west))
    desk = login(personas.front_desk)
    api = login(personas.front_desk, api=True)

    page = desk.get("/programs/slots/")
    listed = api.get(_url(), {"status": "open"}).json()["results"]

    assert [s.pk for s in page.context["open_slots"]] == [s["id"] for s in listed] == [slot.pk]


def test_listing_freed_times_costs_the_same_queries_for_one_or_many(personas, login, west):
    desk = login(personas.front_desk, api=True)
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west))
    desk.get(_url())
    with CaptureQueriesContext(connection) as one:
        assert len(desk.get(_url()).json()["results"]) == 1
    FreedSlot.objects.bulk_create(
        FreedSlot(
            therapist=personas.therapist,
            weekday=weekday,
            local_start_time=slot.local_start_time,
            duration_minutes=slot.duration_minutes,
            location=west,
            free_from=slot.free_from,
        )
        for weekday in range(4)
    )
    with CaptureQueriesContext(connection) as five:
        assert len(desk.get(_url()).json()["results"]) == 5

    assert len(five) == len(one)
