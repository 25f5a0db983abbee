"""The individual-slot waitlist: a weekly time freed by a cancelled series is offered to matching people in order."""

import datetime as dt

import pytest
import time_machine

from apps.accounts.models import TherapistProfile
from apps.audit.models import AccessLog
from apps.billing.demo import config_seed
from apps.core import clock
from apps.core.errors import Conflict, InvalidTransition
from apps.notifications.models import Message
from apps.patients.services import patient_discharge, patient_reactivate
from apps.scheduling.models import Appointment, WorkingHours
from apps.scheduling.services import series_book, series_cancel_following
from apps.waitlist.models import FreedSlot, SlotOffer, SlotRequest
from apps.waitlist.offers import offers_expire
from apps.waitlist.services import (
    open_slots_offer,
    slot_offer_accept,
    slot_offer_decline,
    slot_request_cancel,
    slot_request_create,
)
from apps.waitlist.tasks import expire_offers
from tests.billing.helpers import approved_assessment
from tests.factories import PatientFactory, ServiceTypeFactory, TherapistFactory

pytestmark = pytest.mark.django_db

MONDAY = 0


@pytest.fixture
def weekly(personas):
    """The personas' therapist sees the other patient on Mondays at 10:00, weekly, open-ended."""
    WorkingHours.objects.create(
        therapist=personas.therapist, weekday=MONDAY, start_time=dt.time(9), end_time=dt.time(18)
    )
    service = ServiceTypeFactory()
    today = clock.local_now().date()
    first = today + dt.timedelta(days=(MONDAY - today.weekday()) % 7 or 7)
    booked = series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.other_patient,
        service_type=service,
        first_date=first,
        local_start_time=dt.time(10, 0),
        is_telehealth=True,
    )
    return booked, service


def wait(patient, service, *, therapist=None, weekdays=(MONDAY,), earliest=dt.time(9), latest=dt.time(12)):
    return slot_request_create(
        actor=patient.user,
        patient=patient,
        service_type=service,
        weekdays=list(weekdays),
        earliest_start=earliest,
        latest_start=latest,
        therapist=therapist,
    )


def free_the_slot(personas, weekly):
    booked, _ = weekly
    series_cancel_following(appointment=booked.booked[0], actor=personas.front_desk, reason="Finished treatment")
    return FreedSlot.objects.get(series=booked.series)


def test_a_cancelled_series_offers_its_time_to_the_first_matching_person_in_line(personas, weekly, make_patients):
    _, service = weekly
    wrong_day, too_late, other_therapist, first, second = make_patients(5)
    wait(wrong_day, service, weekdays=(2,))
    wait(too_late, service, earliest=dt.time(14), latest=dt.time(16))
    wait(other_therapist, service, therapist=TherapistFactory())
    wait(first, service, therapist=personas.therapist)
    wait(second, service)
    slot = free_the_slot(personas, weekly)
    offer = SlotOffer.objects.get(slot=slot)
    assert offer.request.patient == first
    assert SlotRequest.objects.get(patient=second).status == "waiting"
    message = Message.objects.get(template="slot_offer", channel="email")
    assert message.patient == first
    first = dt.datetime.fromisoformat(message.context["first_start"])
    assert message.context["weekday"] == "Monday" and first.time() == dt.time(10, 0)
    assert message.context["time_zone"] == "America/New_York"
    assert message.context["accept_url"].startswith("http")


def test_accepting_books_a_weekly_series_at_that_time(personas, weekly, make_patients):
    _, service = weekly
    [patient] = make_patients(1)
    request = wait(patient, service)
    slot = free_the_slot(personas, weekly)
    offer = slot_offer_accept(actor=patient.user, offer=SlotOffer.objects.get(request=request))
    assert offer.series.patient == patient
    first = Appointment.objects.filter(series=offer.series).order_by("start").first()
    local = first.start.astimezone(clock.clinic_tz())
    assert (local.weekday(), local.time()) == (MONDAY, dt.time(10, 0))
    assert local.date() >= slot.free_from
    assert SlotRequest.objects.get(pk=request.pk).status == "booked"
    assert FreedSlot.objects.get(pk=slot.pk).status == "taken"


def test_declining_passes_the_time_on_and_keeps_the_decliner_waiting(personas, weekly, make_patients):
    _, service = weekly
    first, second = make_patients(2)
    wait(first, service)
    wait(second, service)
    slot = free_the_slot(personas, weekly)
    slot_offer_decline(actor=first.user, offer=SlotOffer.objects.get(request__patient=first))
    assert SlotOffer.objects.get(slot=slot, status="outstanding").request.patient == second
    assert SlotRequest.objects.get(patient=first).status == "waiting"


def free_another_time(personas, weekly, patient, at: dt.time) -> FreedSlot:
    """A second weekly time with the same therapist, on the same day, freed by its series' cancellation."""
    booked, service = weekly
    series = series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=patient,
        service_type=service,
        first_date=booked.booked[0].local_start.date(),
        local_start_time=at,
        is_telehealth=True,
    )
    series_cancel_following(appointment=series.booked[0], actor=personas.front_desk, reason="Moved away")
    return FreedSlot.objects.get(series=series.series)


def test_declining_a_time_offers_another_open_time_that_suits(personas, weekly, make_patients):
    """A second time freed while the patient held the first went to nobody (nobody else suits it); turning the
    first down offers them the second."""
    _, service = weekly
    [leaving] = make_patients(1)
    request = wait(personas.patient, service)
    first = free_the_slot(personas, weekly)
    second = free_another_time(personas, weekly, leaving, dt.time(11))
    assert not SlotOffer.objects.filter(slot=second).exists()
    slot_offer_decline(actor=personas.patient_user, offer=SlotOffer.objects.get(slot=first))
    assert SlotOffer.objects.get(status="outstanding").slot == second
    assert SlotRequest.objects.get(pk=request.pk).status == "offered"
    assert Message.objects.filter(template="slot_offer", channel="email", patient=personas.patient).count() == 2


def test_the_minute_sweep_offers_an_open_time_to_a_patient_back_in_care(personas, weekly):
    """Freed while they were discharged, the time went to nobody; back in care, the next sweep offers it."""
    _, service = weekly
    request = wait(personas.patient, service)
    patient_discharge(actor=personas.front_desk, patient=personas.patient)
    slot = free_the_slot(personas, weekly)
    patient_reactivate(actor=personas.front_desk, patient=personas.patient)
    assert not SlotOffer.objects.exists()
    assert expire_offers() == 0  # nothing expired; the time is offered
    assert SlotOffer.objects.get(status="outstanding").slot == slot
    assert SlotRequest.objects.get(pk=request.pk).status == "offered"
    assert open_slots_offer() == 0  # held now: offered once


def test_the_minute_sweep_reads_past_a_time_its_only_match_turned_down_in_one_query(
    personas, weekly, django_assert_num_queries
):
    _, service = weekly
    wait(personas.patient, service)
    free_the_slot(personas, weekly)
    slot_offer_decline(actor=personas.patient_user, offer=SlotOffer.objects.get())
    with django_assert_num_queries(1):
        assert open_slots_offer() == 0


def test_a_time_declined_is_not_offered_again_through_the_patients_other_request(personas, weekly, make_patients):
    """Waiting for the therapist and for anyone, the patient turns the time down once: it goes to the next person,
    not back to them through their other request."""
    _, service = weekly
    [second] = make_patients(1)
    own = wait(personas.patient, service, therapist=personas.therapist)
    anyone = wait(personas.patient, service)
    wait(second, service)
    slot = free_the_slot(personas, weekly)
    slot_offer_decline(actor=personas.patient_user, offer=SlotOffer.objects.get(request=own))
    assert SlotOffer.objects.get(slot=slot, status="outstanding").request.patient == second
    assert not SlotOffer.objects.filter(request=anyone).exists()


def test_an_unanswered_slot_offer_expires_and_passes_on(personas, weekly, make_patients):
    _, service = weekly
    first, second = make_patients(2)
    wait(first, service)
    wait(second, service)
    start = clock.now()
    free_the_slot(personas, weekly)
    with time_machine.travel(start + dt.timedelta(hours=48, minutes=1), tick=False):
        assert offers_expire(kind="slot") == 1
        with pytest.raises(InvalidTransition):
            slot_offer_accept(actor=first.user, offer=SlotOffer.objects.get(request__patient=first))
    assert SlotRequest.objects.get(patient=first).status == "expired"
    assert SlotOffer.objects.get(status="outstanding").request.patient == second
    assert Message.objects.filter(template="slot_offer_expired", patient=first).count() == 1


def test_an_offer_whose_request_ended_cannot_be_taken_and_is_given_back_at_its_deadline(
    personas, weekly, make_patients
):
    """As a cancellation that missed an offer being made left it (the database now refuses it at commit): the
    request cancelled, its offer still out. The time is not booked for someone who left, and at its deadline it
    passes on without telling them an offer expired."""
    _, service = weekly
    [second] = make_patients(1)
    request = wait(personas.patient, service)
    wait(second, service)
    slot = free_the_slot(personas, weekly)
    offer = SlotOffer.objects.get(request=request)
    SlotRequest.objects.filter(pk=request.pk).update(status="cancelled")
    booked = Appointment.objects.filter(patient=personas.patient).count()
    with pytest.raises(InvalidTransition, match="no longer held"):
        slot_offer_accept(actor=personas.patient_user, offer=offer)
    assert Appointment.objects.filter(patient=personas.patient).count() == booked
    with time_machine.travel(offer.expires_at + dt.timedelta(minutes=1), tick=False):
        assert offers_expire(kind="slot") == 0
    assert SlotRequest.objects.get(pk=request.pk).status == "cancelled"
    assert SlotOffer.objects.get(pk=offer.pk).status == "declined"
    assert SlotOffer.objects.get(slot=slot, status="outstanding").request.patient == second
    assert not Message.objects.filter(template="slot_offer_expired").exists()


def test_someone_who_joins_later_is_offered_a_time_nobody_took(personas, weekly, make_patients):
    _, service = weekly
    slot = free_the_slot(personas, weekly)
    assert not SlotOffer.objects.exists()
    [patient] = make_patients(1)
    request = wait(patient, service)
    assert request.status == "offered"
    assert SlotOffer.objects.get().slot == slot


def test_waiting_twice_for_the_same_therapist_is_a_conflict(personas, weekly):
    _, service = weekly
    wait(personas.patient, service, therapist=personas.therapist)
    with pytest.raises(Conflict):
        wait(personas.patient, service, therapist=personas.therapist)


def test_a_time_past_its_deadline_offers_no_answer_before_the_sweep_passes_it_on(personas, login, weekly):
    _, service = weekly
    wait(personas.patient, service)
    free_the_slot(personas, weekly)
    offer = SlotOffer.objects.get()
    client = login(personas.patient_user)
    assert "Take this time" in client.get("/portal/programs/slots/").content.decode()
    with time_machine.travel(offer.expires_at + dt.timedelta(seconds=1), tick=False):
        page = login(personas.patient_user).get("/portal/programs/slots/").content.decode()
    assert SlotOffer.objects.get().status == "outstanding"  # not yet swept
    assert "Offer ended" in page and "Take this time" not in page and "No thanks" not in page


def test_the_portal_shows_the_held_time_and_another_patient_cannot_answer_it(personas, login, weekly):
    _, service = weekly
    wait(personas.patient, service)
    free_the_slot(personas, weekly)
    offer = SlotOffer.objects.get()
    page = login(personas.patient_user).get("/portal/programs/slots/").content.decode()
    assert "held for you until" in page and "Mondays at 10:00 AM" in page
    stranger = login(personas.other_patient_user)
    assert stranger.post(f"/portal/programs/slot-offers/{offer.pk}/accept/").status_code == 404
    assert "held for you" not in stranger.get("/portal/programs/slots/").content.decode()
    link = Message.objects.get(template="slot_offer", channel="email").context["accept_url"]
    path = link.split("localhost:8000", 1)[-1]
    assert stranger.post(path).status_code == 404
    own = login(personas.patient_user)
    assert own.post(path).status_code == 302
    assert SlotOffer.objects.get().status == "accepted"


def test_a_patient_joins_the_slot_waitlist_from_the_portal(personas, login, weekly):
    _, service = weekly
    client = login(personas.patient_user)
    response = client.post(
        "/portal/programs/slots/",
        {"service_type": service.pk, "weekdays": ["0", "2"], "earliest_start": "09:00", "latest_start": "12:00"},
    )
    assert response.status_code == 302
    assert SlotRequest.objects.get(patient=personas.patient).weekdays == [0, 2]


def test_the_staff_form_asks_about_the_patient_and_the_portal_asks_them(personas, login):
    staff = login(personas.front_desk).get("/programs/slots/").content.decode()
    portal = login(personas.patient_user).get("/portal/programs/slots/").content.decode()
    assert "Days that work for the patient" in staff and "Days that work for you" not in staff
    assert "Days that work for you" in portal


def test_the_portal_names_sessions_without_their_billing_codes(personas, login):
    ServiceTypeFactory(code="90834", name="Individual psychotherapy, 45 min")

    portal = login(personas.patient_user).get("/portal/programs/slots/").content.decode()
    staff = login(personas.front_desk).get("/programs/slots/").content.decode()

    assert ">Individual psychotherapy, 45 min</option>" in portal and "90834" not in portal
    assert "Individual psychotherapy, 45 min (90834)" in staff


def test_the_staff_list_names_the_session_each_person_waits_for(personas, login):
    service = ServiceTypeFactory(code="90834", name="Individual psychotherapy, 45 min")
    wait(personas.patient, service)

    staff = login(personas.front_desk).get("/programs/slots/").content.decode()

    assert '9:00 AM–12:00 PM · Individual psychotherapy, 45 min <span class="muted">(90834)</span>' in staff


@pytest.mark.parametrize(("persona", "expected"), [("front_desk", 200), ("therapist", 403), ("patient_user", 403)])
def test_who_sees_the_slot_waitlist(personas, login, persona, expected):
    assert login(getattr(personas, persona)).get("/programs/slots/").status_code == expected


def test_the_slot_waitlist_through_the_api(personas, login, weekly, make_patients):
    _, service = weekly
    payload = {"service_type": service.pk, "weekdays": [0], "earliest_start": "09:00", "latest_start": "12:00"}
    patient_api = login(personas.patient_user, api=True)
    created = patient_api.post("/api/slot-requests/", payload, format="json")
    assert (created.status_code, created.json()["status"]) == (201, "waiting")
    assert patient_api.post("/api/slot-requests/", payload, format="json").status_code == 409
    other = login(personas.other_patient_user, api=True)
    assert other.get("/api/slot-requests/").json()["results"] == []
    assert other.post(f"/api/slot-requests/{created.json()['id']}/cancel/").status_code == 404
    free_the_slot(personas, weekly)
    offered = patient_api.get(f"/api/slot-requests/{created.json()['id']}/").json()
    assert offered["status"] == "offered" and offered["offer"]["weekday"] == 0
    accepted = patient_api.post(f"/api/slot-requests/{created.json()['id']}/accept-offer/")
    assert (accepted.status_code, accepted.json()["status"]) == (200, "booked")
    front_desk = login(personas.front_desk, api=True)
    assert [r["id"] for r in front_desk.get("/api/slot-requests/").json()["results"]] == [created.json()["id"]]
    assert login(personas.therapist, api=True).get("/api/slot-requests/").json()["results"] == []
    staff_made = front_desk.post("/api/slot-requests/", {**payload, "patient": make_patients(1)[0].pk}, format="json")
    assert staff_made.status_code == 201


# Who acted is in the audit log: who declined an offer, who stopped waiting, who freed the time.
def test_declining_an_offer_records_who_declined(personas, weekly, make_patients):
    _, service = weekly
    [first] = make_patients(1)
    wait(first, service)
    free_the_slot(personas, weekly)
    offer = SlotOffer.objects.get(request__patient=first)
    slot_offer_decline(actor=first.user, offer=offer)
    entry = AccessLog.objects.get(action="slot_offer_decline")
    assert (entry.actor, entry.subject_id, entry.patient_id) == (first.user, str(offer.pk), first.pk)


def test_stopping_waiting_records_who_stopped_it_and_the_offer_given_back(personas, weekly, make_patients):
    _, service = weekly
    [first] = make_patients(1)
    request = wait(first, service)
    free_the_slot(personas, weekly)
    offer = SlotOffer.objects.get(request__patient=first)
    slot_request_cancel(actor=personas.front_desk, request=request)
    entry = AccessLog.objects.get(action="slot_request_cancel")
    assert (entry.actor, entry.subject_id, entry.patient_id) == (personas.front_desk, str(request.pk), first.pk)
    assert entry.detail == {"offer_given_back": offer.pk}


def test_a_cancelled_series_records_who_freed_its_time(personas, weekly):
    slot = free_the_slot(personas, weekly)
    entry = AccessLog.objects.get(action="slot_freed")
    assert (entry.actor, entry.subject_id) == (personas.front_desk, str(slot.pk))


def test_past_the_therapists_reduced_fee_cap_the_portal_says_to_call_instead_of_take(personas, login, weekly):
    """Only staff may override the cap, so the patient is told to call while the time is held; taking it from the
    portal is what the booking would refuse."""
    _, service = weekly
    config_seed()
    approved_assessment(personas.patient, household_size=4, income="30000")
    TherapistProfile.objects.filter(user=personas.therapist).update(reduced_fee_cap=0)
    wait(personas.patient, service)
    free_the_slot(personas, weekly)
    offer = SlotOffer.objects.get()
    page = login(personas.patient_user).get("/portal/programs/slots/").content.decode()
    assert "call the front desk while it is held for you" in page and "Take this time</button>" not in page
    assert "No thanks, keep waiting</button>" in page
    with pytest.raises(Conflict):
        slot_offer_accept(actor=personas.patient_user, offer=offer)


def test_the_offer_tells_a_patient_in_another_zone_its_deadline_in_their_time(personas, weekly, make_patients):
    from apps.notifications.rendering import message_render

    _, service = weekly
    (far,) = make_patients(1)
    type(far).objects.filter(pk=far.pk).update(time_zone="America/Los_Angeles")
    far.refresh_from_db()
    wait(far, service)
    free_the_slot(personas, weekly)
    message = Message.objects.get(template="slot_offer", channel="email", patient=far)
    assert message.context["patient_time_zone"] == "America/Los_Angeles"
    assert "your time)" in message_render(template="slot_offer", context=message.context, channel="email").text


@pytest.fixture
def saturday_morning():
    """Saturday 12 December 2026, 10:00: the Monday slot freed from the 14th is offered with a hold that ends on
    that Monday."""
    import time_machine

    with time_machine.travel(clock.local_datetime(dt.date(2026, 12, 12), dt.time(10, 0)), tick=False):
        yield


def test_accepting_at_the_end_of_the_hold_books_the_first_date_the_offer_named(
    saturday_morning, personas, weekly, make_patients
):
    """Whenever in the hold the patient answers (here an hour before it ends, on the slot's own weekday), the
    series starts on the date the message said."""
    import time_machine

    _, service = weekly
    [patient] = make_patients(1)
    request = wait(patient, service)
    free_the_slot(personas, weekly)
    offer = SlotOffer.objects.get(request=request)
    named = Message.objects.get(template="slot_offer", channel="email", patient=patient).context["first_date"]
    with time_machine.travel(offer.expires_at - dt.timedelta(hours=1), tick=False):
        accepted = slot_offer_accept(actor=patient.user, offer=offer)
    first = Appointment.objects.filter(series=accepted.series).order_by("start").first()
    assert first.start.astimezone(clock.clinic_tz()).date().isoformat() == named


@pytest.fixture
def chart_only_offer(personas, weekly):
    """A patient with a chart but no portal account, put in line by the front desk and offered the freed time: the
    patient and the paths of the emailed accept and decline links."""
    _, service = weekly
    patient = PatientFactory()
    slot_request_create(
        actor=personas.front_desk,
        patient=patient,
        service_type=service,
        weekdays=[MONDAY],
        earliest_start=dt.time(9),
        latest_start=dt.time(12),
    )
    free_the_slot(personas, weekly)
    context = Message.objects.get(template="slot_offer", channel="email", patient=patient).context
    paths = {action: context[f"{action}_url"].split("localhost:8000", 1)[-1] for action in ("accept", "decline")}
    return patient, paths


def test_a_patient_without_a_portal_account_takes_the_time_from_the_emailed_link(client, chart_only_offer):
    patient, paths = chart_only_offer
    path = paths["accept"]
    page = client.get(path)
    assert page.status_code == 200 and "Take this time" in page.content.decode()
    assert SlotOffer.objects.get().status == "outstanding"  # opening the link answers nothing
    answered = client.post(path)
    assert answered.status_code == 302 and answered["Location"] == path
    offer = SlotOffer.objects.get()
    assert offer.status == "accepted" and offer.series.patient == patient
    after = client.get(path).content.decode()
    assert "Your weekly time is booked." in after and "This time is booked" in after and "Take this time" not in after
    client.post(paths["decline"])
    assert SlotOffer.objects.get().status == "accepted"


def test_a_held_times_deadline_is_told_on_the_patients_own_clock_too(personas, login, weekly):
    from zoneinfo import ZoneInfo

    from apps.core.time_zones import when_text

    _, service = weekly
    personas.patient.time_zone = "Asia/Tokyo"  # never the clinic's clock
    personas.patient.save(update_fields=["time_zone"])
    wait(personas.patient, service)
    free_the_slot(personas, weekly)
    offer = SlotOffer.objects.get()
    theirs = when_text(offer.expires_at, zone=clock.clinic_tz(), reader_zone=ZoneInfo("Asia/Tokyo"), day_format="")
    said = theirs[theirs.index("(") :]
    client = login(personas.patient_user)
    link = Message.objects.get(template="slot_offer", channel="email").context["accept_url"]
    for page in ("/portal/", "/portal/programs/slots/", link.split("localhost:8000", 1)[-1]):
        assert said in client.get(page).content.decode(), page
