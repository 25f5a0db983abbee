"""A member of the public joins a proposed lecture series' interest list from the public pages and the public API:
the same registration, routed to the interest list, with the consent it collects carried to every notice."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from apps.core import clock
from apps.core.errors import Conflict, Unprocessable
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from apps.programs import lecture_selectors
from apps.programs.models import EnrollmentStatus, GroupProgram, LectureFeeMode, ProgramKind
from apps.programs.services.formation import program_call_off, program_launch
from apps.programs.services.lectures import lecture_register
from tests.locking import at_once

from .formation_helpers import proposed_program

RATE = override_settings(CLINIC_LECTURE_REGISTRATION_RATE="1000/min")


def planned_series(actor, **extra) -> GroupProgram:
    fields = {"kind": ProgramKind.LECTURE, "title": "Pain and the mind, autumn lectures", "capacity": 2}
    return proposed_program(actor=actor, **{**fields, **extra})


def join(program, name="Robin Visitor", email="robin@example.test", **extra):
    return lecture_register(program=program, name=name, email=email, consent=True, **extra)


def path_of(url: str) -> str:
    return url[url.index("/lectures/") :].split("?")[0]


@pytest.mark.django_db
def test_registering_for_a_proposed_series_joins_its_interest_list_in_order_with_a_confirmation(personas):
    program = planned_series(personas.front_desk, minimum_to_launch=2)
    first = join(program)
    second = join(program, name="Sam Visitor", email="sam@example.test")
    assert (first.status, second.status) == (EnrollmentStatus.WAITLISTED, EnrollmentStatus.WAITLISTED)
    assert first.waitlist_position < second.waitlist_position
    assert first.emails_consented_at is not None and first.offered_at is None
    assert [lecture_selectors.waitlist_rank(e) for e in (first, second)] == [1, 2]
    confirmation = Message.objects.get(dedupe_key=f"enrollment:{first.pk}:interest_registered")
    assert confirmation.template == "lecture_interest_registered" and confirmation.to_address == "robin@example.test"
    words = message_render(template=confirmation.template, context=confirmation.context, channel="email").text
    decision = program.decision_on
    assert f"decides by {decision:%A, %B} {decision.day}" in words
    assert "/lectures/registration/" in words
    # The second made the minimum: both are told, each once, with their own page as the link.
    reached = Message.objects.filter(template="interest_minimum_reached").order_by("to_address")
    assert [m.to_address for m in reached] == ["robin@example.test", "sam@example.test"]
    assert all("/lectures/registration/" in m.context["program_url"] for m in reached)
    assert not Message.objects.filter(context__program_url__contains="/portal/").exists()


@pytest.mark.django_db
def test_a_sliding_series_keeps_the_price_chosen_on_the_interest_list_and_into_the_seat(personas):
    program = planned_series(
        personas.front_desk,
        fee_mode=LectureFeeMode.SLIDING,
        full_price=Decimal("20.00"),
        reduced_price=Decimal("5.00"),
        minimum_to_launch=1,
    )
    with pytest.raises(Unprocessable):
        join(program)  # a sliding series needs the price chosen, as when it runs
    place = join(program, fee_tier="reduced")
    assert place.fee_tier == "reduced"
    program_launch(program=program, actor=personas.front_desk)
    place.refresh_from_db()
    assert (place.status, place.fee_tier) == (EnrollmentStatus.OFFERED, "reduced")
    assert Message.objects.filter(template="lecture_seat_offer", to_address="robin@example.test").exists()


@pytest.mark.django_db
def test_the_interest_list_refuses_a_second_place_and_a_decided_series(personas):
    program = planned_series(personas.front_desk)
    join(program)
    with pytest.raises(Conflict):
        join(program, email="ROBIN@example.test")
    patients = join(program, email=personas.patient.email)  # as anyone's: nothing says it is a patient's
    assert patients.billed_patient is None
    program_call_off(program=program, reason="Too few people this season.", actor=personas.front_desk)
    with pytest.raises(Unprocessable):
        join(program, name="Sam Visitor", email="sam@example.test")


@pytest.mark.django_db
def test_a_series_past_its_decision_date_is_not_offered_to_the_public(personas):
    program = planned_series(personas.front_desk)
    assert program in lecture_selectors.lectures_open()
    GroupProgram.objects.filter(pk=program.pk).update(decision_on=clock.local_now().date() - dt.timedelta(days=1))
    assert program not in lecture_selectors.lectures_open()
    with pytest.raises(Unprocessable):
        join(program)


@pytest.mark.django_db
@RATE
def test_the_public_pages_list_a_planned_series_and_take_a_place_on_its_interest_list(personas, client):
    program = planned_series(personas.front_desk, capacity=12, minimum_to_launch=3)
    listing = client.get("/lectures/").content.decode()
    assert program.title in listing and "Join the interest list" in listing
    assert "Goes ahead if 3 people are interested" in listing
    detail = client.get(f"/lectures/{program.pk}/").content.decode()
    assert "Join the interest list" in detail and "0 people have joined so far" in detail
    response = client.post(
        f"/lectures/{program.pk}/", {"name": "Robin Visitor", "email": "robin@example.test", "consent": "on"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "You are on the interest list" in page
    assert "number <strong>1</strong> on the interest list" in page
    assert "Leave the interest list" in page
    confirm = client.get(path_of(response["Location"]) + "cancel/").content.decode()
    assert "Leave the interest list?" in confirm and "join at the end of the list" in confirm
    assert client.post(path_of(response["Location"]) + "cancel/").status_code == 302
    assert program.enrollments.get().status == EnrollmentStatus.WITHDRAWN


@pytest.mark.django_db
@RATE
def test_the_public_api_puts_a_visitor_on_the_interest_list_and_says_so(personas, client):
    program = planned_series(personas.front_desk)
    url = f"/api/public/lectures/{program.pk}/register/"
    joined = client.post(url, {"name": "Robin", "email": "robin@example.test", "consent": True}, "application/json")
    assert joined.status_code == 201
    body = joined.json()
    assert body["status"] == "waitlisted" and body["waitlist_rank"] == 1
    assert (body["program_stage"], body["decision_on"]) == ("proposed", program.decision_on.isoformat())
    again = client.post(url, {"name": "Robin", "email": "robin@example.test", "consent": True}, "application/json")
    assert again.status_code == 409
    unconsented = client.post(url, {"name": "Sam", "email": "sam@example.test"}, "application/json")
    assert unconsented.status_code in (400, 422)
    program_call_off(program=program, reason="Too few people this season.", actor=personas.front_desk)
    closed = client.post(url, {"name": "Sam", "email": "sam@example.test", "consent": True}, "application/json")
    assert closed.status_code == 422


@pytest.mark.django_db
def test_a_called_off_series_points_a_visitor_to_the_public_lectures_not_the_portal(personas):
    running = planned_series(personas.front_desk, title="Pain and the mind, running now", minimum_to_launch=1)
    join(running, name="Sam Visitor", email="sam@example.test")
    program_launch(program=running, actor=personas.front_desk)
    program = planned_series(personas.front_desk, first_meeting_on=running.first_meeting_on + dt.timedelta(days=1))
    place = join(program)
    program_call_off(program=program, reason="Too few people this season.", actor=personas.front_desk)
    notice = Message.objects.get(subject_id=str(place.pk), template="program_not_launched")
    assert notice.context["alternative_kind"] == "running"
    words = message_render(template="program_not_launched", context=notice.context, channel="email").text
    assert "/lectures/" in words and "patient portal" not in words


@pytest.mark.django_db(transaction=True)
def test_visitors_joining_at_once_get_distinct_tickets_in_one_list(personas):
    program = planned_series(personas.front_desk, capacity=6, minimum_to_launch=6)
    outcomes = at_once(
        *[(lambda i=i: join(program, name=f"Visitor {i}", email=f"visitor{i}@example.test")) for i in range(4)]
    )
    assert sorted(o.waitlist_position for o in outcomes) == [1, 2, 3, 4]


@pytest.mark.django_db
def test_a_running_series_at_another_office_is_named_with_its_next_meeting_on_that_offices_date(personas):
    """A West office lecture at 9:30 PM Pacific meets on its own date there, though New York has turned the day."""
    from apps.scheduling.models import Location, Room, WorkingHours

    west = Location.objects.create(name="West office", time_zone="America/Los_Angeles", city="Pasadena")
    room = Room.objects.create(location=west, name="Pacific", capacity=12)
    first = clock.local_now().date() + dt.timedelta(days=30)
    running = planned_series(
        personas.front_desk,
        title="Pain and the mind, running now",
        minimum_to_launch=1,
        room=room,
        is_telehealth=False,
        local_start_time=dt.time(21, 30),
        first_meeting_on=first,
    )
    WorkingHours.objects.create(
        therapist=running.lead_facilitator,
        location=west,
        weekday=first.weekday(),
        start_time=dt.time(21),
        end_time=dt.time(23, 30),
    )
    join(running, name="Sam Visitor", email="sam@example.test")
    program_launch(program=running, actor=personas.front_desk)
    program = planned_series(personas.front_desk, first_meeting_on=first + dt.timedelta(days=1))
    place = join(program)
    program_call_off(program=program, reason="Too few people this season.", actor=personas.front_desk)
    notice = Message.objects.get(subject_id=str(place.pk), template="program_not_launched")
    assert notice.context["alternative_kind"] == "running"
    assert notice.context["alternative_date"] == first.isoformat()
