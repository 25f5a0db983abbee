"""Staff pages: the program list, roster, waitlist with recorded reordering, offers and attendance sheets."""

import datetime as dt

import pytest
import time_machine

from apps.core import clock
from apps.programs import selectors
from apps.programs.models import Attendance, Enrollment, WaitlistMove
from apps.programs.services.seats import enrollment_withdraw, program_enroll

from .factories import ProgramFactory, facilitator_with_evening_hours, group_service, scheduled_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_program(program, make_patients):
    patients = make_patients(7)
    for patient in patients:
        program_enroll(actor=patient.user, program=program, patient=patient)
    enrollment_withdraw(actor=None, enrollment=Enrollment.objects.get(patient=patients[0]))
    return program, patients


def test_the_program_list_answers_in_a_fixed_number_of_queries(
    personas, login, busy_program, django_assert_max_num_queries
):
    for _ in range(5):
        ProgramFactory()
    client = login(personas.front_desk)
    with django_assert_max_num_queries(7):
        response = client.get("/programs/")
    page = response.content.decode()
    assert response.status_code == 200
    assert busy_program[0].title in page


def test_the_roster_page_shows_members_offers_with_deadlines_and_the_line(
    personas, login, busy_program, django_assert_max_num_queries
):
    program, patients = busy_program
    client = login(personas.front_desk)
    with django_assert_max_num_queries(
        14
    ):  # with the menu's counts of referrals and the work queue, and the last meeting
        response = client.get(f"/programs/{program.pk}/")
    page = response.content.decode()
    assert "Roster (2)" in page and "Outstanding seat offers (1)" in page and "Waitlist (3)" in page
    for patient in patients[1:]:
        assert patient.display_name in page
    offer = Enrollment.objects.get(status="offered")
    assert offer.patient.display_name in page


@pytest.mark.parametrize(("persona", "expected"), [("other_therapist", 403), ("billing", 403), ("patient_user", 403)])
def test_who_may_not_open_the_roster(personas, login, program, persona, expected):
    assert login(getattr(personas, persona)).get(f"/programs/{program.pk}/").status_code == expected


def test_the_program_list_links_only_the_pages_its_reader_may_open(personas, login, django_assert_max_num_queries):
    led = ProgramFactory(lead_facilitator=personas.therapist, title="Led by them")
    co_led = ProgramFactory(title="Co-led by them")
    co_led.co_facilitators.add(personas.therapist)
    others = ProgramFactory(lead_facilitator=personas.other_therapist, title="Led by another")
    link = '<a href="/programs/{}/">{}</a>'.format

    client = login(personas.therapist)
    client.get("/programs/")  # the session and permission caches warm up
    with django_assert_max_num_queries(7):  # as the front desk's list: one more program costs no query
        therapist = client.get("/programs/").content.decode()
    billing = login(personas.billing).get("/programs/").content.decode()
    front_desk = login(personas.front_desk).get("/programs/").content.decode()

    assert link(led.pk, led.title) in therapist and link(co_led.pk, co_led.title) in therapist
    assert f"<td>{others.title}" in therapist and f"/programs/{others.pk}/" not in therapist
    assert all(f"/programs/{p.pk}/" not in billing for p in (led, co_led, others)) and others.title in billing
    assert all(link(p.pk, p.title) in front_desk for p in (led, co_led, others))


def test_the_chart_links_a_patients_program_only_for_who_may_open_it(personas, login, program):
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    link = f'<a href="/programs/{program.pk}/">{program.title}</a>'
    chart = f"/patients/{personas.patient.pk}/"

    assert link in login(personas.front_desk).get(chart).content.decode()
    billing = login(personas.billing).get(chart).content.decode()
    assert f"/programs/{program.pk}/" not in billing and f"{program.title}:" in billing


def test_the_facilitator_opens_the_roster_but_cannot_change_the_program(personas, login):
    program = ProgramFactory(lead_facilitator=personas.therapist)
    client = login(personas.therapist)
    assert client.get(f"/programs/{program.pk}/").status_code == 200
    assert client.post(f"/programs/{program.pk}/capacity/", {"capacity": 9}).status_code == 403


def test_front_desk_enrolls_a_patient_from_the_page(personas, login, program):
    client = login(personas.front_desk)
    response = client.post(f"/programs/{program.pk}/enroll/", {"patient": personas.patient.pk})
    assert response.status_code == 302
    assert Enrollment.objects.get(patient=personas.patient).status == "enrolled"


def test_front_desk_moves_someone_with_a_reason_and_it_is_shown(personas, login, busy_program):
    program, patients = busy_program
    last = Enrollment.objects.get(patient=patients[6])
    client = login(personas.front_desk)
    client.post(f"/programs/enrollments/{last.pk}/move/", {"to_rank": 1, "reason": "Clinician referral"})
    assert WaitlistMove.objects.get().to_rank == 1
    page = client.get(f"/programs/{program.pk}/").content.decode()
    assert "Clinician referral" in page
    client.post(f"/programs/enrollments/{last.pk}/move/", {"to_rank": 2, "reason": ""})
    assert WaitlistMove.objects.count() == 1


def test_raising_capacity_from_the_page_sends_offers(personas, login, busy_program):
    program, patients = busy_program
    client = login(personas.front_desk)
    client.post(f"/programs/{program.pk}/capacity/", {"capacity": 5})
    assert Enrollment.objects.filter(program=program, status="offered").count() == 3


def test_front_desk_accepts_an_offer_on_the_patients_behalf(personas, login, busy_program):
    program, patients = busy_program
    offer = Enrollment.objects.get(status="offered")
    login(personas.front_desk).post(f"/programs/enrollments/{offer.pk}/accept/")
    assert Enrollment.objects.get(pk=offer.pk).status == "enrolled"


def test_declining_an_offer_for_the_patient_asks_first_naming_who_the_seat_goes_to(personas, login, busy_program):
    program, patients = busy_program
    offer = Enrollment.objects.get(status="offered")
    next_in_line = Enrollment.objects.filter(program=program, status="waitlisted").order_by("waitlist_position")[0]
    client = login(personas.front_desk)
    url = f"/programs/enrollments/{offer.pk}/decline/"

    asked = client.post(url)
    body = asked.content.decode()
    assert asked.status_code == 200
    assert f"Decline the seat offered to {offer.member_name} in {program.title}?" in body
    assert f"offered at once to <strong>{next_in_line.member_name}</strong>" in body
    assert "This cannot be undone" in body and f'action="{url}"' in body
    assert Enrollment.objects.get(pk=offer.pk).status == "offered"

    assert client.post(url, {"confirmed": "yes"}).status_code == 302
    assert Enrollment.objects.get(pk=offer.pk).status == "declined"
    assert Enrollment.objects.get(pk=next_in_line.pk).status == "offered"


def test_a_patient_cannot_use_the_staff_actions(personas, login, busy_program):
    offer = Enrollment.objects.get(status="offered")
    response = login(offer.patient.user).post(f"/programs/enrollments/{offer.pk}/accept/")
    assert response.status_code in (403, 404)
    assert Enrollment.objects.get(pk=offer.pk).status == "offered"


def test_front_desk_creates_a_program_from_the_page(personas, login):
    first = dt.date.today() + dt.timedelta(days=9)
    facilitator = facilitator_with_evening_hours(first.weekday())
    client = login(personas.front_desk)
    response = client.post(
        "/programs/new/",
        {
            "title": "Knowledge-therapy lecture series",
            "lead_facilitator": facilitator.pk,
            "service_type": group_service().pk,
            "capacity": 25,
            "enrollment_opens_on": dt.date.today().isoformat(),
            "is_telehealth": "on",
            "first_meeting_on": first.isoformat(),
            "local_start_time": "19:00",
            "meeting_count": 6,
            "interval_weeks": 1,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "lecture series" in client.get(response["Location"]).content.decode()


def test_the_attendance_sheet_records_the_meeting(personas, login):
    program = scheduled_program(actor=personas.front_desk)
    enrollment = program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    meeting = selectors.program_meetings(program=program).first()
    with time_machine.travel(meeting.appointment.start + dt.timedelta(minutes=10), tick=False):
        client = login(program.lead_facilitator)
        assert (
            personas.patient.display_name in client.get(f"/programs/meetings/{meeting.pk}/attendance/").content.decode()
        )
        client.post(f"/programs/meetings/{meeting.pk}/attendance/", {f"status-{enrollment.pk}": "excused"})
    assert Attendance.objects.get().status == "excused"
    assert login(personas.other_therapist).get(f"/programs/meetings/{meeting.pk}/attendance/").status_code == 403


def test_before_a_meeting_starts_its_sheet_and_the_program_page_offer_no_attendance(personas, login):
    """Scheduled two weeks ahead: the sheet says when attendance is taken, the meeting list links no sheet, and
    recording it anyway is refused with those words."""
    program = scheduled_program(actor=personas.front_desk)
    enrollment = program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    meeting = selectors.program_meetings(program=program).first()
    client = login(program.lead_facilitator)
    sheet = client.get(f"/programs/meetings/{meeting.pk}/attendance/").content.decode()
    assert "Attendance is taken once the meeting has started." in sheet and "Save attendance" not in sheet
    page = client.get(f"/programs/{program.pk}/").content.decode()
    assert f"/programs/meetings/{meeting.pk}/attendance/" not in page and "Once it starts" in page
    refused = client.post(f"/programs/meetings/{meeting.pk}/attendance/", {f"status-{enrollment.pk}": "attended"})
    assert "Attendance is taken once the meeting has started." in refused.content.decode()
    assert not Attendance.objects.exists()
    with time_machine.travel(meeting.appointment.start + dt.timedelta(minutes=1), tick=False):
        page = login(program.lead_facilitator).get(f"/programs/{program.pk}/").content.decode()
        assert f"/programs/meetings/{meeting.pk}/attendance/" in page


def test_the_portal_home_shows_the_offer_deadline_and_the_place_in_line(personas, login, busy_program):
    program, patients = busy_program
    program_enroll(actor=personas.patient_user, program=program, patient=personas.patient)
    page = login(personas.patient_user).get("/portal/").content.decode()
    assert "you are <strong>#4</strong> on the waitlist" in page
    offer = Enrollment.objects.get(status="offered")
    assert "a seat is held for you until" in login(offer.patient.user).get("/portal/").content.decode()


def test_the_chart_shows_the_patients_programs_and_place_in_line(personas, login, busy_program):
    program, patients = busy_program
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    page = login(personas.front_desk).get(f"/patients/{personas.patient.pk}/").content.decode()
    assert "Programs and waitlists" in page and "<strong>#4</strong> on the waitlist" in page


def test_withdrawing_a_member_asks_first_naming_who_the_seat_goes_to(personas, login, make_patients):
    program = scheduled_program(actor=personas.admin, capacity=1, title="Evening group")
    member, waiting = make_patients(2)
    seated = program_enroll(actor=personas.front_desk, program=program, patient=member)
    program_enroll(actor=personas.front_desk, program=program, patient=waiting)
    client = login(personas.front_desk)
    url = f"/programs/enrollments/{seated.pk}/withdraw/"

    asked = client.post(url, {"reason": "Moved away"})
    body = asked.content.decode()
    assert asked.status_code == 200 and f"Withdraw {member.display_name} from Evening group?" in body
    assert f"offered at once to <strong>{waiting.display_name}</strong>" in body
    assert 'name="reason" value="Moved away"' in body
    assert Enrollment.objects.get(pk=seated.pk).status == "enrolled"

    assert client.post(url, {"reason": "Moved away", "confirmed": "yes"}).status_code == 302
    assert Enrollment.objects.get(pk=seated.pk).status == "withdrawn"
    assert Enrollment.objects.get(program=program, patient=waiting).status == "offered"


def test_removing_someone_from_the_waitlist_asks_first_too(personas, login, make_patients):
    program = scheduled_program(actor=personas.admin, capacity=1, title="Evening group")
    member, waiting = make_patients(2)
    program_enroll(actor=personas.front_desk, program=program, patient=member)
    queued = program_enroll(actor=personas.front_desk, program=program, patient=waiting)
    body = login(personas.front_desk).post(f"/programs/enrollments/{queued.pk}/withdraw/").content.decode()
    assert "leaves the waitlist; the people after them move up" in body
    assert Enrollment.objects.get(pk=queued.pk).status == "waitlisted"


def test_the_program_list_names_the_meeting_day_as_a_plural_weekday(personas, login):
    today = clock.local_now().date()
    thursday = today + dt.timedelta(days=(3 - today.weekday()) % 7 + 14)
    friday = thursday + dt.timedelta(days=1)
    ProgramFactory(title="Thursday group", first_meeting_on=thursday)
    ProgramFactory(title="Friday group", first_meeting_on=friday)

    page = login(personas.front_desk).get("/programs/").content.decode()

    assert "Thursdays 6:00 PM" in page and "Fridays 6:00 PM" in page
    assert "Thus " not in page and "Fris " not in page


def test_the_program_page_names_its_service_and_dates_its_enrollment_across_a_new_year(personas, login):
    """The fee is named as the fee schedule names the service, not by its code alone; an enrollment window that runs
    into the next year says both years, so "Dec 5 – Jan 19, 2027" cannot read as a window starting in 2027."""
    program = ProgramFactory(enrollment_opens_on=dt.date(2026, 12, 5), enrollment_closes_on=dt.date(2027, 1, 19))
    page = login(personas.front_desk).get(f"/programs/{program.pk}/").content.decode()
    service = program.service_type
    assert f"{service.name} ({service.code}) fee per meeting attended" in page
    assert "December 5, 2026 – January 19, 2027" in page
