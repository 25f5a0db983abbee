"""A session already over is booked only on purpose: to record one that took place, never by a slip; one under way
(a walk-in entered a few minutes late) is booked as usual.

Times here are relative to the real clock ("an hour ago", "tomorrow"), so the rule holds at any hour: the therapist
works every day around the clock, and every booking gives an override reason for the minutes around midnight, so
only the past is in question.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.urls import reverse

from apps.core import clock
from apps.core.errors import Unprocessable
from apps.scheduling import services
from apps.scheduling.models import Appointment, AppointmentSeries
from tests.factories import RoomFactory, ServiceTypeFactory

from .conftest import give_working_hours

pytestmark = pytest.mark.django_db
OVERRIDE = "Recorded at the front desk"
NOON = dt.time(12, 0)


@pytest.fixture
def desk(personas):
    give_working_hours(personas.therapist, start=dt.time(0, 0), end=dt.time(23, 59), weekdays=range(7))
    return SimpleNamespace(**vars(personas), individual=ServiceTypeFactory(), willow=RoomFactory(name="Willow"))


def hours_from_now(hours: float) -> dt.datetime:
    return (clock.now() + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)


def today() -> dt.date:
    return clock.local_now().date()


def book(c, *, start, **overrides):
    args = {
        "actor": c.front_desk,
        "therapist": c.therapist,
        "patient": c.patient,
        "service_type": c.individual,
        "start": start,
        "room": c.willow,
        "override_reason": OVERRIDE,
    }
    return services.appointment_book(**{**args, **overrides})


def book_series(c, *, first_date, count=3, **overrides):
    args = {
        "actor": c.front_desk,
        "therapist": c.therapist,
        "patient": c.patient,
        "service_type": c.individual,
        "first_date": first_date,
        "local_start_time": NOON,
        "occurrence_count": count,
        "room": c.willow,
        "override_reason": OVERRIDE,
    }
    return services.series_book(**{**args, **overrides})


# ---------------------------------------------------------------------------------------------------------------
# The service: one rule for the pages, the API and every other caller


def test_a_session_an_hour_ago_is_refused_naming_the_confirmation_it_needs(desk):
    with pytest.raises(Unprocessable) as caught:
        book(desk, start=hours_from_now(-1))
    assert "in the past" in caught.value.message
    assert "allow_past" in caught.value.fields
    assert not Appointment.objects.exists()


def test_staff_record_a_session_that_took_place_when_they_confirm_it(desk):
    an_hour_ago = hours_from_now(-1)
    appointment = book(desk, start=an_hour_ago, allow_past=True)
    assert appointment.start == an_hour_ago


def test_a_walk_in_entered_minutes_after_it_began_needs_no_confirmation(desk):
    # Under way, not over: the desk enters at 2:10 the session that began at 2:00.
    ten_minutes_ago = hours_from_now(-1 / 6)
    assert book(desk, start=ten_minutes_ago).start == ten_minutes_ago


def test_a_patient_cannot_book_a_session_under_way(desk):
    with pytest.raises(Unprocessable) as caught:
        book(desk, actor=desk.patient_user, start=hours_from_now(-1 / 6), override_reason="")
    assert "start" in caught.value.fields
    assert not Appointment.objects.exists()


def test_a_session_tomorrow_needs_no_confirmation(desk):
    assert book(desk, start=hours_from_now(24)).pk


def test_a_patient_never_books_the_past_even_claiming_to_confirm_it(desk):
    with pytest.raises(Unprocessable) as caught:
        book(desk, actor=desk.patient_user, start=hours_from_now(-1), allow_past=True, override_reason="")
    assert "start" in caught.value.fields and "allow_past" not in caught.value.fields
    assert not Appointment.objects.exists()


def test_a_series_starting_weeks_ago_is_refused_listing_its_past_dates(desk):
    with pytest.raises(Unprocessable) as caught:
        book_series(desk, first_date=today() - dt.timedelta(weeks=3), count=2)
    assert "allow_past" in caught.value.fields
    assert "2 of the 2 dates are in the past" in caught.value.message
    assert len(caught.value.extra["past"]) == 2
    assert not AppointmentSeries.objects.exists()


def test_a_series_recording_past_weeks_is_booked_when_confirmed(desk):
    result = book_series(desk, first_date=today() - dt.timedelta(weeks=3), count=2, allow_past=True)
    assert len(result.booked) == 2


def test_the_series_preview_says_which_dates_are_in_the_past(desk):
    plan = services.series_preview(
        therapist=desk.therapist,
        patient=desk.patient,
        service_type=desk.individual,
        first_date=today() - dt.timedelta(weeks=1),
        local_start_time=NOON,
        occurrence_count=3,
        room=desk.willow,
    )
    occurrences = plan.as_dict()["occurrences"]
    assert occurrences[0]["in_past"] is True and occurrences[-1]["in_past"] is False
    assert plan.as_dict()["past"] == len(plan.past) == sum(o["in_past"] for o in occurrences)


def test_moving_a_session_into_the_past_needs_the_same_confirmation(desk):
    tomorrow, an_hour_ago = hours_from_now(24), hours_from_now(-1)
    session = book(desk, start=tomorrow)
    with pytest.raises(Unprocessable) as caught:
        services.appointment_reschedule(
            appointment=session, actor=desk.front_desk, start=an_hour_ago, override_reason=OVERRIDE
        )
    assert "allow_past" in caught.value.fields
    session.refresh_from_db()
    assert session.start == tomorrow
    [moved] = services.appointment_reschedule(
        appointment=session, actor=desk.front_desk, start=an_hour_ago, override_reason=OVERRIDE, allow_past=True
    )
    assert moved.start == an_hour_ago


def test_moving_a_session_later_into_the_future_needs_no_confirmation(desk):
    in_two_days = hours_from_now(48)
    session = book(desk, start=hours_from_now(24))
    [moved] = services.appointment_reschedule(
        appointment=session, actor=desk.front_desk, start=in_two_days, override_reason=OVERRIDE
    )
    assert moved.start == in_two_days


def test_a_patient_never_moves_a_session_into_the_past(desk):
    session = book(desk, start=hours_from_now(24 * 7))
    with pytest.raises(Unprocessable) as caught:
        services.appointment_reschedule(
            appointment=session, actor=desk.patient_user, start=hours_from_now(-1), allow_past=True
        )
    assert "start" in caught.value.fields


# ---------------------------------------------------------------------------------------------------------------
# The API passes the confirmation as an explicit field


def _api_booking(c, start) -> dict:
    return {
        "therapist": c.therapist.pk,
        "patient": c.patient.pk,
        "service_type": c.individual.pk,
        "room": c.willow.pk,
        "start": start.isoformat(),
        "override_reason": OVERRIDE,
    }


def test_the_api_answers_422_naming_allow_past_until_it_is_given(desk, login):
    client = login(desk.front_desk, api=True)
    body = _api_booking(desk, hours_from_now(-1))
    refused = client.post("/api/appointments/", body, format="json")
    assert refused.status_code == 422 and "allow_past" in refused.json()["error"]["fields"]
    booked = client.post("/api/appointments/", {**body, "allow_past": True}, format="json")
    assert booked.status_code == 201


def test_the_api_series_preview_and_booking_follow_the_same_rule(desk, login):
    client = login(desk.front_desk, api=True)
    body = {
        "therapist": desk.therapist.pk,
        "patient": desk.patient.pk,
        "service_type": desk.individual.pk,
        "room": desk.willow.pk,
        "first_date": str(today() - dt.timedelta(weeks=3)),
        "local_start_time": "12:00",
        "occurrence_count": 2,
        "override_reason": OVERRIDE,
    }
    preview = client.post("/api/appointment-series/preview/", body, format="json").json()
    assert preview["past"] == 2 and all(o["in_past"] for o in preview["occurrences"])
    refused = client.post("/api/appointment-series/", body, format="json")
    assert refused.status_code == 422 and "allow_past" in refused.json()["error"]["fields"]
    created = client.post("/api/appointment-series/", {**body, "allow_past": True}, format="json")
    assert created.status_code == 201 and len(created.json()["booked"]) == 2


def test_the_api_move_into_the_past_needs_allow_past(desk, login):
    session = book(desk, start=hours_from_now(24))
    client = login(desk.front_desk, api=True)
    url = f"/api/appointments/{session.pk}/reschedule/"
    body = {"start": hours_from_now(-1).isoformat(), "override_reason": OVERRIDE}
    refused = client.post(url, body, format="json")
    assert refused.status_code == 422 and "allow_past" in refused.json()["error"]["fields"]
    assert client.post(url, {**body, "allow_past": True}, format="json").status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# The pages ask, and keep everything typed


def test_the_booking_form_asks_to_confirm_a_past_session_keeping_what_was_typed(desk, login):
    client = login(desk.front_desk)
    when = hours_from_now(-1).astimezone(clock.clinic_tz())
    form = {
        "therapist": desk.therapist.pk,
        "patient": desk.patient.pk,
        "service_type": desk.individual.pk,
        "date": str(when.date()),
        "time": f"{when:%H:%M}",
        "room": desk.willow.pk,
        "override_reason": OVERRIDE,
    }
    asked = client.post(reverse("scheduling:appointment_new"), form)
    html = asked.content.decode()
    assert asked.status_code == 422 and "This session is in the past" in html
    assert 'type="checkbox" name="allow_past"' in html
    assert f'value="{when.date()}"' in html and OVERRIDE in html
    assert not Appointment.objects.exists()
    booked = client.post(reverse("scheduling:appointment_new"), {**form, "allow_past": "on"})
    assert booked.status_code == 302 and Appointment.objects.count() == 1


def test_the_booking_form_does_not_offer_the_confirmation_before_it_is_needed(desk, login):
    html = login(desk.front_desk).get(reverse("scheduling:appointment_new")).content.decode()
    assert 'type="checkbox" name="allow_past"' not in html


def _series_form(c, first_date, **overrides) -> dict:
    return {
        "therapist": c.therapist.pk,
        "patient": c.patient.pk,
        "service_type": c.individual.pk,
        "first_date": str(first_date),
        "local_start_time": "12:00",
        "interval_weeks": "1",
        "ends": "count",
        "occurrence_count": "2",
        "room": c.willow.pk,
        "override_reason": OVERRIDE,
        **overrides,
    }


def test_the_series_preview_marks_past_dates_instead_of_calling_them_free(desk, login):
    client = login(desk.front_desk)
    form = _series_form(desk, today() - dt.timedelta(weeks=3))
    html = client.post(reverse("scheduling:series_preview"), form, HTTP_HX_REQUEST="true").content.decode()
    assert "all free" not in html
    assert html.count('badge warn">Past') == 2
    assert "<strong>2</strong> of them in the past" in html


def test_the_series_form_asks_to_confirm_then_books_the_past_dates(desk, login):
    client = login(desk.front_desk)
    form = _series_form(desk, today() - dt.timedelta(weeks=3))
    asked = client.post(reverse("scheduling:series_new"), form)
    assert asked.status_code == 422 and 'type="checkbox" name="allow_past"' in asked.content.decode()
    assert not AppointmentSeries.objects.exists()
    assert client.post(reverse("scheduling:series_new"), {**form, "allow_past": "on"}).status_code == 302
    assert Appointment.objects.count() == 2


def test_the_move_form_asks_to_confirm_a_move_into_the_past(desk, login):
    tomorrow, an_hour_ago = hours_from_now(24), hours_from_now(-1)
    session = book(desk, start=tomorrow)
    client = login(desk.front_desk)
    when = an_hour_ago.astimezone(clock.clinic_tz())
    url = reverse("scheduling:appointment_reschedule", args=[session.pk])
    form = {"date": str(when.date()), "time": f"{when:%H:%M}", "override_reason": OVERRIDE}
    asked = client.post(url, form)
    assert asked.status_code == 422 and 'type="checkbox" name="allow_past"' in asked.content.decode()
    session.refresh_from_db()
    assert session.start == tomorrow
    assert client.post(url, {**form, "allow_past": "on"}).status_code == 302
    session.refresh_from_db()
    assert session.start == an_hour_ago
