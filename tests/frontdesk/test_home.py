"""The front desk's day on the staff home: arrivals with check-in, sessions nobody confirmed, questionnaires and
balances, waitlists with nothing offered, failed messages. Every section is placed relative to the clinic's own
clock, so the tests hold at any hour and on any day."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.dateformat import format

from apps.billing.demo import config_seed
from apps.billing.selectors.ledger import patient_balance
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.core import clock
from apps.core.money import money_text
from apps.core.when import clock_text
from apps.notifications.confirmations import appointment_confirm
from apps.notifications.models import AppointmentConfirmation, ConfirmationSource, Message, MessageStatus
from apps.notifications.outbox import message_enqueue
from apps.outcomes.services import questionnaire_assign
from apps.programs.services.formation import interest_register
from apps.programs.services.seats import program_enroll
from apps.scheduling.models import AppointmentStatus, Location, LocationHours
from apps.waitlist.models import SlotRequest
from apps.waitlist.services import slot_request_create
from tests.factories import AppointmentFactory, PatientFactory, ServiceTypeFactory
from tests.programs.factories import ProgramFactory
from tests.programs.formation_helpers import proposed_program

pytestmark = pytest.mark.django_db

DAY_READERS = ["front_desk", "admin"]
OTHER_STAFF = ["billing"]


@pytest.fixture(autouse=True)
def _clock_held():
    """The clock stands still at the real instant the test starts: "today" cannot turn into tomorrow half-way
    through a test that happens to run at midnight. Every session below is placed relative to this instant."""
    with time_machine.travel(clock.now(), tick=False):
        yield


def _today() -> dt.date:
    return clock.local_now().date()


def _session(day: dt.date, hour: int, **fields):
    """A 45-minute session at `hour` clinic time on a local day (a new therapist and patient unless given)."""
    start = clock.local_datetime(day, dt.time(hour))
    return AppointmentFactory(start=start, end=start + dt.timedelta(minutes=45), **fields)


def _home(login, user):
    response = login(user).get("/")
    assert response.status_code == 200
    return response


# ---------------------------------------------------------------------------------------------------------------
# Who sees it


@pytest.mark.parametrize("persona", DAY_READERS)
def test_the_front_desk_and_admins_see_the_day(personas, login, persona):
    session = _session(_today(), 10, therapist=personas.therapist, patient=personas.patient)
    response = _home(login, getattr(personas, persona))
    assert response.context["day"].arrivals == [session]
    body = response.content.decode()
    assert "Arrivals today" in body
    assert personas.patient.display_name in body


@pytest.mark.parametrize("persona", OTHER_STAFF)
def test_other_staff_get_the_patient_search_without_the_day(personas, login, persona):
    _session(_today(), 10, therapist=personas.therapist, patient=personas.patient)
    response = _home(login, getattr(personas, persona))
    assert response.context["day"] is None
    body = response.content.decode()
    assert "Find a patient" in body
    assert "Arrivals today" not in body
    assert personas.patient.display_name not in body


def test_a_patient_is_sent_to_the_portal(personas, login):
    response = login(personas.patient_user).get("/")
    assert (response.status_code, response.url) == (302, "/portal/")


# ---------------------------------------------------------------------------------------------------------------
# Arrivals and check-in


def test_arrivals_are_todays_sessions_in_time_order_without_cancelled_ones(personas, login):
    today = _today()
    afternoon = _session(today, 14)
    morning = _session(today, 9, therapist=personas.therapist, patient=personas.patient)
    _session(today, 11, status=AppointmentStatus.CANCELLED)
    _session(today, 12, status=AppointmentStatus.LATE_CANCELLED)
    _session(today - dt.timedelta(days=1), 10)
    _session(today + dt.timedelta(days=1), 10)
    _session(today, 16, patient=None, service_type=ServiceTypeFactory(code="90853", is_group=True))
    response = _home(login, personas.front_desk)
    assert response.context["day"].arrivals == [morning, afternoon]


def test_the_days_times_read_as_every_other_page_says_them(personas, login):
    """Arrivals, the sessions to settle and those to confirm say "5:00 PM–5:45 PM", as the session page, reminders
    and the portal do, never the 24-hour "17:00"."""
    today = _today()
    _session(today, 17, therapist=personas.therapist, patient=personas.patient)
    _session(today + dt.timedelta(days=1), 17)
    body = _home(login, personas.front_desk).content.decode()
    assert "5:00 PM–5:45 PM" in body
    assert f"{today + dt.timedelta(days=1):%a} 5:00 PM" in body
    assert "17:00" not in body and "17:45" not in body


def test_across_offices_each_session_is_on_its_own_offices_day(personas, login):
    """9:30 PM in Pasadena is past midnight in New York: across all offices the desk still sees it with that day's
    arrivals (its office's day), and a Pasadena session early on the next New York day is not today's."""
    from apps.core.time_zones import zone_or_none
    from tests.places import pacific_office

    pasadena = pacific_office()
    pacific = zone_or_none(pasadena.time_zone)
    today = _today()

    def there(day, hour, minute=0):
        start = clock.local_datetime(day, dt.time(hour, minute), pacific)
        return AppointmentFactory(location=pasadena, start=start, end=start + dt.timedelta(minutes=45))

    late = there(today, 21, 30)
    there(today - dt.timedelta(days=1), 21, 30)  # yesterday's there, though early today in New York

    arrivals = _home(login, personas.front_desk).context["day"].arrivals
    assert late in arrivals and len(arrivals) == 1


def test_a_session_at_another_office_is_listed_unconfirmed_on_its_own_day_and_clock(personas, login):
    """Tomorrow 9:30 PM in Pasadena (past midnight in New York): among the sessions to confirm, on its own day and
    clock, with its zone named."""
    from apps.core.time_zones import zone_or_none
    from tests.places import pacific_office

    pasadena = pacific_office()
    tomorrow = _today() + dt.timedelta(days=1)
    start = clock.local_datetime(tomorrow, dt.time(21, 30), zone_or_none(pasadena.time_zone))
    session = AppointmentFactory(location=pasadena, start=start, end=start + dt.timedelta(minutes=45))

    page = _home(login, personas.front_desk)

    assert session in page.context["day"].unconfirmed
    label = f"{tomorrow:%a} 9:30 PM Los Angeles time"
    assert label in page.content.decode()


def test_arrivals_show_who_confirmed_how_and_when(personas, login):
    today = _today()
    by_text = _session(today, 9, therapist=personas.therapist, patient=personas.patient)
    by_link = _session(today, 10)
    _session(today, 11)
    appointment_confirm(appointment=by_text, source=ConfirmationSource.SMS)
    appointment_confirm(appointment=by_link, source=ConfirmationSource.LINK)
    response = _home(login, personas.front_desk)
    rows = {a.pk: (a.confirmed_via, a.confirmed_at) for a in response.context["day"].arrivals}
    assert rows[by_text.pk] == ("sms", clock.now())
    assert rows[by_link.pk][0] == "link"
    body = response.content.decode()
    at = clock.local_now()
    assert f"by text reply, {at:%b} {at.day}, {clock_text(at)}" in body
    assert "by reminder link" in body
    assert body.count(">Not confirmed</span>") == 1


def test_at_another_office_the_confirmation_time_is_on_its_clock_like_every_time_on_the_page(personas, login):
    """The desk at the Pasadena office reads its day on Pacific time ("times are Pasadena office time"): when the
    patient confirmed is told on that clock too, as the check-in time is, not three hours ahead."""
    from apps.core.time_zones import zone_or_none
    from tests.places import pacific_office

    pasadena = pacific_office()
    pacific = zone_or_none(pasadena.time_zone)
    today_there = clock.in_zone(clock.now(), pacific).date()
    start = clock.local_datetime(today_there, dt.time(23), pacific)
    session = AppointmentFactory(location=pasadena, start=start, end=start + dt.timedelta(minutes=45))
    appointment_confirm(appointment=session, source=ConfirmationSource.SMS)

    body = login(personas.front_desk).get(f"/?location={pasadena.pk}").content.decode()

    there, clinic = clock.in_zone(clock.now(), pacific), clock.local_now()
    assert f"by text reply, {there:%b} {there.day}, {clock_text(there)}" in body
    assert clock_text(clinic) not in body.split("by text reply, ")[1][:20]


def test_a_session_already_held_is_not_called_unconfirmed_and_the_day_names_its_zone(personas, login):
    session = _session(_today(), 9, therapist=personas.therapist, patient=personas.patient)
    session.status = "completed"
    session.save()
    body = _home(login, personas.front_desk).content.decode()
    assert "Completed" in body and ">Not confirmed</span>" not in body
    assert "Times are clinic time, as in New York." in body


def test_the_front_desk_checks_a_patient_in_from_the_home_page(personas, login):
    session = _session(_today(), 10, therapist=personas.therapist, patient=personas.patient)
    # The patient arrives half an hour early: check-in is open from two hours before the session.
    arrival = time_machine.travel(session.start - dt.timedelta(minutes=30), tick=False)
    arrival.start()
    client = login(personas.front_desk)
    check_in = f"/schedule/appointments/{session.pk}/check-in/"
    body = client.get("/").content.decode()
    assert f'action="{check_in}"' in body
    assert f'Check in<span class="visually-hidden"> {personas.patient.display_name}</span>' in body

    response = client.post(check_in, {"next": "/"})
    assert (response.status_code, response.url) == (302, "/")
    session.refresh_from_db()
    assert (session.status, session.checked_in_at) == (AppointmentStatus.CHECKED_IN, clock.now())
    after = client.get("/").content.decode()
    assert "Checked in." in after
    assert f'action="{check_in}"' not in after
    arrival.stop()


# ---------------------------------------------------------------------------------------------------------------
# Not confirmed: tomorrow and the day after


def test_unconfirmed_sessions_of_tomorrow_and_the_day_after(personas, login):
    today = _today()
    tomorrow, day_after = today + dt.timedelta(days=1), today + dt.timedelta(days=2)
    waiting = _session(tomorrow, 10, therapist=personas.therapist, patient=personas.patient)
    later = _session(day_after, 15)
    confirmed = _session(day_after, 10)
    appointment_confirm(appointment=confirmed, source=ConfirmationSource.LINK)
    moved = _session(tomorrow, 12)  # confirmed for a start it no longer has
    AppointmentConfirmation.objects.create(
        appointment=moved, appointment_start=moved.start - dt.timedelta(days=7), source=ConfirmationSource.LINK
    )
    _session(today, 16)
    _session(today + dt.timedelta(days=3), 10)
    _session(tomorrow, 14, status=AppointmentStatus.CANCELLED)
    response = _home(login, personas.front_desk)
    day = response.context["day"]
    assert day.unconfirmed_days == [tomorrow, day_after]  # no opening hours kept: the calendar's next two days
    assert day.unconfirmed == [waiting, moved, later]
    assert f'href="tel:{personas.patient.phone}"' in response.content.decode()


def test_unconfirmed_sessions_of_the_next_two_days_the_clinic_is_open(personas, login):
    """Closed tomorrow (a Friday's weekend): the desk confirms the two open days after it, and a session someone
    booked on the closed day too."""
    today = _today()
    closed = today + dt.timedelta(days=1)
    for weekday in set(range(7)) - {closed.weekday()}:
        LocationHours.objects.create(location=Location.main(), weekday=weekday, opens=dt.time(8), closes=dt.time(18))
    first_open, second_open = today + dt.timedelta(days=2), today + dt.timedelta(days=3)
    on_closed_day = _session(closed, 10)
    first = _session(first_open, 10)
    second = _session(second_open, 15)
    _session(today + dt.timedelta(days=4), 10)
    response = _home(login, personas.front_desk)
    day = response.context["day"]
    assert day.unconfirmed_days == [first_open, second_open]
    assert day.unconfirmed == [on_closed_day, first, second]
    heading = f"Not confirmed: {first_open:%a %b} {first_open.day} and {second_open:%a %b} {second_open.day}"
    assert heading in response.content.decode()


# ---------------------------------------------------------------------------------------------------------------
# Questionnaires and balances


def test_todays_patients_with_a_balance_or_questionnaires_to_answer(personas, login):
    today = _today()
    owes = _session(today, 9, therapist=personas.therapist, patient=personas.patient)
    config_seed()
    last_week = _session(
        today - dt.timedelta(days=7),
        9,
        therapist=personas.therapist,
        patient=personas.patient,
        status=AppointmentStatus.COMPLETED,
    )
    charge_for_appointment_outcome(appointment=last_week, actor=personas.therapist)
    asked = _session(today, 10, therapist=personas.other_therapist, patient=personas.other_patient)
    now = clock.now()
    for instrument in ("pain_nrs", "phq9"):
        questionnaire_assign(
            patient=personas.other_patient,
            instrument=instrument,
            due_at=now + dt.timedelta(hours=1),
            expires_at=now + dt.timedelta(hours=2),
        )
    questionnaire_assign(  # closed already: nothing left to answer
        patient=personas.other_patient,
        instrument="gad7",
        due_at=now - dt.timedelta(hours=2),
        expires_at=now - dt.timedelta(hours=1),
    )
    _session(today, 11)
    response = _home(login, personas.front_desk)
    day = response.context["day"]
    assert day.to_settle == [owes, asked]
    balance = patient_balance(patient=personas.patient)
    assert balance > 0
    assert [(a.patient_balance, a.questionnaires_waiting) for a in day.to_settle] == [(balance, 0), (0, 2)]
    body = response.content.decode()
    assert f"Owes {money_text(balance)}" in body
    assert f'href="/billing/patients/{personas.patient.pk}/"' in body
    assert "2 questionnaires not answered" in body
    assert "PHQ" not in body  # which questionnaires is clinical


# ---------------------------------------------------------------------------------------------------------------
# Waitlists with nothing offered


def test_waitlists_where_nobody_holds_an_offer(personas, login):
    program = ProgramFactory(capacity=1, title="TMS recovery group")
    program_enroll(actor=personas.front_desk, program=program, patient=personas.other_patient)
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    program_enroll(actor=personas.front_desk, program=program, patient=PatientFactory())
    ProgramFactory(capacity=5, title="Lecture series")  # seats free, nobody waiting
    service = ServiceTypeFactory()
    slot_request_create(
        actor=personas.front_desk,
        patient=personas.patient,
        service_type=service,
        weekdays=[0, 2],
        earliest_start=dt.time(9),
        latest_start=dt.time(12),
    )
    offered = slot_request_create(
        actor=personas.front_desk,
        patient=personas.other_patient,
        service_type=service,
        weekdays=[1],
        earliest_start=dt.time(9),
        latest_start=dt.time(12),
    )
    SlotRequest.objects.filter(pk=offered.pk).update(status="offered")
    response = _home(login, personas.front_desk)
    day = response.context["day"]
    assert [(w["program__title"], w["waiting"]) for w in day.program_waitlists] == [("TMS recovery group", 2)]
    assert day.slot_waitlist["waiting"] == 1
    body = response.content.decode()
    assert f'href="/programs/{program.pk}/">TMS recovery group</a>: 2 waiting' in body
    assert 'href="/programs/slots/">A weekly time with a therapist</a>: 1 waiting' in body


def test_a_proposed_programs_interest_list_is_shown_against_its_minimum_not_as_a_waitlist(personas, login):
    program = proposed_program(
        actor=personas.front_desk, title="TMS recovery group, spring cohort", capacity=3, minimum_to_launch=2
    )
    interest_register(program=program, patient=personas.patient, actor=personas.front_desk)
    response = _home(login, personas.front_desk)
    day = response.context["day"]
    assert day.program_waitlists == []
    assert [(p.title, i["count"], i["minimum"]) for p, i in day.program_interest] == [
        ("TMS recovery group, spring cohort", 1, 2)
    ]
    body = response.content.decode()
    assert "1 waiting" not in body
    decide_by = format(program.decision_on, "M j")
    assert "Interest for proposed programs:" in body
    assert (
        f'<a href="/programs/{program.pk}/">TMS recovery group, spring cohort</a>: '
        f"1 of 2 needed to run (decide by {decide_by})" in body
    )


# ---------------------------------------------------------------------------------------------------------------
# Failed messages


def _failed(patient, subject, key: str, *, purpose="reminder_email"):
    message = message_enqueue(
        channel="email",
        to_address=patient.email,
        purpose=purpose,
        template="appointment_reminder",
        subject=subject,
        send_at=clock.now(),
        dedupe_key=key,
        patient=patient,
    )
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, last_error="Mail server error")
    return message


def test_failed_messages_in_peoples_words_with_a_link_to_send_them_again(personas, login):
    session = _session(_today() + dt.timedelta(days=4), 10, therapist=personas.therapist, patient=personas.patient)
    _failed(personas.patient, session, "f1")
    _failed(personas.patient, session, "f2", purpose="seat_offer")
    response = _home(login, personas.front_desk)
    failed = response.context["day"].failed_messages
    assert failed.total == 2
    body = response.content.decode()
    assert f"Session reminder (email) to {personas.patient.email}" in body
    assert f"Group seat offer to {personas.patient.email}" in body
    assert "reminder_email" not in body
    assert 'href="/messages/?status=failed"' in body


def test_with_nothing_to_do_every_section_says_so(personas, login):
    body = _home(login, personas.front_desk).content.decode()
    for empty in (
        "No sessions today.",
        "Nobody seen today owes a balance",
        "Every session on these days is confirmed.",
        "Nobody is waiting",
        "No reminder or notice has failed.",
    ):
        assert empty in body


# ---------------------------------------------------------------------------------------------------------------
# Queries


def _busy_day(personas, n: int, tag: str) -> None:
    """`n` of everything: arrivals (confirmed, owing, with questionnaires), unconfirmed sessions, waitlisted
    patients in their own programs, slot requests and failed messages."""
    today = _today()
    now = clock.now()
    service = ServiceTypeFactory()
    for i in range(n):
        arrival = _session(today, 6 + i % 12)
        appointment_confirm(appointment=arrival, source=ConfirmationSource.SMS)
        questionnaire_assign(
            patient=arrival.patient,
            instrument="pain_nrs",
            due_at=now + dt.timedelta(hours=1),
            expires_at=now + dt.timedelta(hours=2),
        )
        past = _session(today - dt.timedelta(days=7), 10, patient=arrival.patient, status=AppointmentStatus.COMPLETED)
        charge_for_appointment_outcome(appointment=past, actor=personas.front_desk)
        _session(today + dt.timedelta(days=1), 10)
        program = ProgramFactory(capacity=1)
        program_enroll(actor=personas.front_desk, program=program, patient=PatientFactory())
        program_enroll(actor=personas.front_desk, program=program, patient=PatientFactory())
        slot_request_create(
            actor=personas.front_desk,
            patient=PatientFactory(),
            service_type=service,
            weekdays=[i % 5],
            earliest_start=dt.time(9),
            latest_start=dt.time(12),
        )
        _failed(arrival.patient, arrival, f"{tag}{i}")


def test_the_home_page_queries_do_not_grow_with_rows(personas, login, django_assert_max_num_queries):
    config_seed()
    client = login(personas.front_desk)
    _busy_day(personas, 2, "few")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/").status_code == 200
    _busy_day(personas, 12, "many")
    with django_assert_max_num_queries(len(few)):
        response = client.get("/")
    day = response.context["day"]
    assert (len(day.arrivals), len(day.to_settle), len(day.unconfirmed)) == (14, 14, 14)
    assert (len(day.program_waitlists), day.slot_waitlist["waiting"], day.failed_messages.total) == (14, 14, 14)
    assert len(few) <= 16  # sign-in and menu (with its counts), the clinic, then one query per section
