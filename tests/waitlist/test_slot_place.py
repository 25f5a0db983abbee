"""A freed weekly time keeps the office its series was booked at: the offer's email, the patient's pages, the staff
waitlist and the API say where the sessions are, on that office's clock, and taking the offer books there."""

import datetime as dt

import pytest
from django.template.loader import render_to_string

from apps.core import clock
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from apps.scheduling.models import Appointment, Location, WorkingHours
from apps.scheduling.services import series_book, series_cancel_following
from apps.waitlist.models import FreedSlot, SlotOffer
from apps.waitlist.selectors import slot_place_context, slot_place_said
from apps.waitlist.services import slot_offer_accept, slot_request_create
from tests.factories import RoomFactory, ServiceTypeFactory

pytestmark = pytest.mark.django_db

FRIDAY = 4


def _next(weekday: int, zone) -> dt.date:
    today = clock.in_zone(clock.now(), zone).date()
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 or 7)


def free_a_friday_time(personas, *, location, room=None, is_telehealth=False, waiting=True) -> tuple[FreedSlot, object]:
    """The personas' therapist works Fridays at `location`; the other patient's weekly Friday 10:00 there is
    cancelled, freeing its time, which the personas' patient is waiting for (unless not `waiting`)."""
    WorkingHours.objects.create(
        therapist=personas.therapist, location=location, weekday=FRIDAY, start_time=dt.time(9), end_time=dt.time(17)
    )
    service = ServiceTypeFactory()
    booked = series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.other_patient,
        service_type=service,
        first_date=_next(FRIDAY, location.zone),
        local_start_time=dt.time(10),
        room=room,
        is_telehealth=is_telehealth,
        location=None if room else location,
    )
    if waiting:
        slot_request_create(
            actor=personas.front_desk,
            patient=personas.patient,
            service_type=service,
            weekdays=[FRIDAY],
            earliest_start=dt.time(9),
            latest_start=dt.time(12),
        )
    series_cancel_following(appointment=booked.booked[0], actor=personas.front_desk, reason="Moved away")
    return FreedSlot.objects.get(series=booked.series), booked.series


def test_a_freed_time_keeps_the_office_its_series_was_booked_at(personas, west):
    slot, series = free_a_friday_time(personas, location=west, room=RoomFactory(location=west, name="Garden room"))
    assert series.location == west
    assert slot.location == west


def test_a_freed_video_time_keeps_the_office_its_series_was_held_from(personas, west):
    slot, series = free_a_friday_time(personas, location=west, is_telehealth=True)
    assert slot.location == series.location == west
    context = Message.objects.get(template="slot_offer", channel="email").context
    assert context["time_zone"] == "America/Los_Angeles"
    assert context["is_telehealth"] is True and "location_name" not in context


def test_the_offer_email_says_where_the_sessions_are(personas, west):
    free_a_friday_time(personas, location=west, room=RoomFactory(location=west, name="Garden room"))
    message = Message.objects.get(template="slot_offer", channel="email")
    assert message.context["location_name"] == "West office"
    for suffix in ("txt", "html"):
        text = render_to_string(
            f"notifications/messages/slot_offer.{suffix}", {**message.context, "clinic": {"name": "Clinic"}}
        )
        assert "West office, Garden room, 200 Pine St, Pasadena, CA 91101" in text, suffix
        assert "Fridays at 10:00 AM Los Angeles time" in text, suffix


def test_the_patients_pages_and_the_api_say_the_offices_place(personas, login, west):
    free_a_friday_time(personas, location=west, room=RoomFactory(location=west, name="Garden room"))
    offer = SlotOffer.objects.get()
    place = "West office, Garden room, 200 Pine St, Pasadena, CA 91101"
    client = login(personas.patient_user)
    requests_page = client.get("/portal/programs/slots/").content.decode()
    link = Message.objects.get(template="slot_offer", channel="email").context["accept_url"]
    offer_page = client.get(link.split("localhost:8000", 1)[-1]).content.decode()
    for page in (requests_page, offer_page):
        assert "Fridays at 10:00 AM Los Angeles time" in page and place in page
    api = login(personas.patient_user, api=True).get(f"/api/slot-requests/{offer.request_id}/").json()
    assert api["offer"]["location"] == west.pk and api["offer"]["place"] == place


def test_the_staff_waitlist_says_a_weekly_time_on_its_offices_clock_and_names_the_office(personas, login, west):
    free_a_friday_time(personas, location=west, is_telehealth=True)
    held = login(personas.front_desk).get("/programs/slots/").content.decode()
    assert "Fridays at 10:00 AM Los Angeles time with Theo Rapist (West office, video)" in held
    assert "New York time" in held  # the deadline, on the clinic's clock


def test_the_staff_waitlist_says_an_open_time_on_its_offices_clock_and_names_the_office(personas, login, west):
    free_a_friday_time(personas, location=west, room=RoomFactory(location=west, name="Garden room"), waiting=False)
    page = login(personas.front_desk).get("/programs/slots/").content.decode()
    assert "Fridays at 10:00 AM Los Angeles time with Theo Rapist (" in page
    assert "min, West office, Garden room), free from" in page


def test_the_staff_waitlist_names_no_clock_for_a_time_at_the_main_office(personas, login):
    main = Location.main()
    free_a_friday_time(personas, location=main, room=RoomFactory(location=main, name="Room 7"))
    page = login(personas.front_desk).get("/programs/slots/").content.decode()
    assert "Fridays at 10:00 AM with Theo Rapist (Main office, Room 7)" in page
    assert "10:00 AM New York time" not in page and "18:00" not in page and "10:00 with" not in page


def test_taking_a_video_time_books_it_at_the_office_its_offer_named_on_that_offices_clock(personas, west):
    slot, _ = free_a_friday_time(personas, location=west, is_telehealth=True)
    offer = slot_offer_accept(actor=personas.patient_user, offer=SlotOffer.objects.get(slot=slot))
    assert offer.series.location == west
    first = Appointment.objects.filter(series=offer.series).order_by("start").first()
    assert first.location == west
    assert first.start.astimezone(west.zone).time() == dt.time(10)


def _offer_said(personas, login, slot) -> dict[str, str]:
    """The offer of `slot` as each channel says it: its email (text and HTML), its text message, the patient's
    portal pages and the API."""
    message = Message.objects.get(template="slot_offer", channel="email")
    email = message_render(template="slot_offer", context=message.context, channel="email")
    client = login(personas.patient_user)
    offer = SlotOffer.objects.get(slot=slot)
    link = message.context["accept_url"].split("localhost:8000", 1)[-1]
    api = login(personas.patient_user, api=True).get(f"/api/slot-requests/{offer.request_id}/").json()
    return {
        "email text": email.text,
        "email html": email.html,
        "sms": message_render(template="slot_offer", context=message.context, channel="sms").sms,
        "requests page": client.get("/portal/programs/slots/").content.decode(),
        "offer page": client.get(link).content.decode(),
        "api": api["offer"]["place"],
    }


@pytest.mark.parametrize(
    ("in_person", "place", "short"),
    [
        (True, "West office, Garden room, 200 Pine St, Pasadena, CA 91101", "West office"),
        (False, "video session", "video"),
    ],
)
def test_the_offers_email_text_pages_and_api_say_its_place_in_the_same_words(
    personas, login, west, in_person, place, short
):
    room = RoomFactory(location=west, name="Garden room") if in_person else None
    slot, _ = free_a_friday_time(personas, location=west, room=room, is_telehealth=not in_person)
    assert slot_place_said(slot_place_context(slot)) == place
    assert slot_place_said(slot_place_context(slot), short=True) == short

    said = _offer_said(personas, login, slot)

    for channel in ("email text", "email html", "requests page", "offer page", "api"):
        assert place in said[channel], channel
    assert f"Fridays at 10:00 AM Los Angeles time, {short}, is held for you" in said["sms"]


def test_the_offer_text_names_only_the_office_and_its_words_stay_within_two_segments(personas, login, west):
    """A text names the office, not its room or street (the email and the portal say those). Its words around its
    two signed links stay within two segments (the reminder's budget) with the longest name an office can have."""
    Location.objects.filter(pk=west.pk).update(name="W" * Location._meta.get_field("name").max_length)
    west.refresh_from_db()
    slot, _ = free_a_friday_time(personas, location=west, room=RoomFactory(location=west, name="Garden room"))

    sms = _offer_said(personas, login, slot)["sms"]

    assert f", {west.name}, is held for you" in sms
    assert "Garden room" not in sms and "Pine St" not in sms
    links = Message.objects.get(template="slot_offer", channel="email").context
    words = sms.replace(links["accept_url"], "").replace(links["decline_url"], "")
    assert len(words) <= 320 and "\n" not in sms


def test_an_offer_text_queued_before_freed_times_kept_their_office_names_no_place(personas):
    free_a_friday_time(personas, location=Location.main(), room=RoomFactory(location=Location.main()))
    context = Message.objects.get(template="slot_offer", channel="email").context
    before = {k: v for k, v in context.items() if k not in {"is_telehealth", "location_name", "room_name"}}

    sms = message_render(template="slot_offer", context=before, channel="sms").sms

    assert "New York time, is held for you" in sms
