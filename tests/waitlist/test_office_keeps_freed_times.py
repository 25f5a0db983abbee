"""An office holding freed weekly times on the slot waitlist keeps its zone and stays open, as it does for its booked
sessions: a time's sessions are booked there, at its local time, when someone takes it. The page and the API refuse
in the same words; a time taken no longer holds the office."""

import datetime as dt

import pytest
import time_machine

from apps.core import clock
from apps.core.errors import Conflict
from apps.scheduling import locations
from apps.scheduling.models import Location
from apps.waitlist.models import FreedSlot, FreedSlotStatus, SlotOffer, SlotOfferStatus
from apps.waitlist.offers import offers_expire
from tests.factories import RoomFactory
from tests.waitlist.test_slot_place import free_a_friday_time

pytestmark = pytest.mark.django_db

CLOSING = (
    "1 freed weekly time at West office is on the slot waitlist, to be booked there; it can close once it is taken "
    "or withdrawn from the slot waitlist."
)
ZONE = (
    "2 freed weekly times at West office are on the slot waitlist, timed in Pacific time; its zone can change once "
    "they are taken or withdrawn from the slot waitlist."
)


def _page_form(location: Location, **change) -> dict:
    fields = {"kind": "location", "name": location.name, "time_zone": location.time_zone, "place_of_service": "11"}
    fields.update({"is_active": "on"} if location.is_active else {})
    return {**fields, **change}


def _time_freed_before_times_kept_their_series(personas, location: Location) -> FreedSlot:
    """An open time freed before freed times recorded their series: its office holds no session or series."""
    return FreedSlot.objects.create(
        therapist=personas.therapist,
        weekday=4,
        local_start_time=dt.time(10),
        duration_minutes=45,
        location=location,
        free_from=clock.local_now().date(),
    )


def test_an_office_with_an_open_freed_time_stays_open_in_the_same_words_on_the_page_and_the_api(personas, login, west):
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west), waiting=False)
    assert slot.status == FreedSlotStatus.OPEN

    api = login(personas.admin, api=True).patch(f"/api/locations/{west.pk}/", {"is_active": False}, format="json")
    page = login(personas.admin).post(f"/schedule/locations/{west.pk}/", _page_form(west, is_active=""))

    assert api.status_code == 409 and api.json()["error"]["message"] == CLOSING
    assert page.status_code == 409 and CLOSING in page.content.decode()
    assert Location.objects.get(pk=west.pk).is_active


def test_the_front_desk_may_not_close_an_office_and_is_told_nothing_of_its_freed_times(personas, login, west):
    free_a_friday_time(personas, location=west, room=RoomFactory(location=west), waiting=False)

    api = login(personas.front_desk, api=True).patch(f"/api/locations/{west.pk}/", {"is_active": False}, format="json")
    page = login(personas.front_desk).post(f"/schedule/locations/{west.pk}/", _page_form(west, is_active=""))

    assert api.status_code == 403 and page.status_code == 403
    assert "freed" not in api.content.decode() and "freed" not in page.content.decode()
    assert Location.objects.get(pk=west.pk).is_active


def test_an_office_whose_freed_time_is_offered_stays_open(personas, west):
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west))
    assert SlotOffer.objects.get(slot=slot).status == SlotOfferStatus.OUTSTANDING

    with pytest.raises(Conflict) as refused:
        locations.location_save(actor=personas.admin, location=west, is_active=False)

    assert refused.value.message == CLOSING
    assert refused.value.fields == {"is_active": ["Freed weekly times on the slot waitlist are here."]}


def test_a_freed_time_whose_offer_lapsed_is_still_open_and_still_holds_its_office(personas, west):
    """Its holder let the offer lapse; nobody else waits, so the time stays open for whoever joins next."""
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west))
    offer = SlotOffer.objects.get(slot=slot)
    with time_machine.travel(offer.expires_at + dt.timedelta(minutes=1), tick=False):
        assert offers_expire(kind="slot") == 1

    with pytest.raises(Conflict):
        locations.location_save(actor=personas.admin, location=west, is_active=False)
    assert FreedSlot.objects.get(pk=slot.pk).status == FreedSlotStatus.OPEN


def test_an_office_whose_freed_time_was_taken_closes(personas, login, west):
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west), waiting=False)
    FreedSlot.objects.filter(pk=slot.pk).update(status=FreedSlotStatus.TAKEN)

    closed = login(personas.admin, api=True).patch(f"/api/locations/{west.pk}/", {"is_active": False}, format="json")

    assert closed.status_code == 200 and closed.json()["is_active"] is False


def test_an_offices_zone_is_fixed_while_freed_times_are_kept_on_its_clock_on_the_page_and_the_api(
    personas, login, west
):
    _time_freed_before_times_kept_their_series(personas, west)
    _time_freed_before_times_kept_their_series(personas, west)

    api = login(personas.admin, api=True).patch(
        f"/api/locations/{west.pk}/", {"time_zone": "America/Denver"}, format="json"
    )
    page = login(personas.admin).post(f"/schedule/locations/{west.pk}/", _page_form(west, time_zone="America/Denver"))

    assert api.status_code == 409 and api.json()["error"]["message"] == ZONE
    assert api.json()["error"]["fields"] == {"time_zone": ["Freed weekly times on the slot waitlist are timed in it."]}
    assert page.status_code == 409 and ZONE in page.content.decode()
    assert Location.objects.get(pk=west.pk).time_zone == "America/Los_Angeles"


def test_an_offices_zone_changes_once_its_freed_times_are_taken(personas, west):
    taken = _time_freed_before_times_kept_their_series(personas, west)
    FreedSlot.objects.filter(pk=taken.pk).update(status=FreedSlotStatus.TAKEN)

    changed = locations.location_save(actor=personas.admin, location=west, time_zone="America/Denver")

    assert changed.time_zone == "America/Denver"
