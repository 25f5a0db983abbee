"""Two programs that meet at the same time: enrolling in the second is allowed, with a plain warning first."""

import pytest

from apps.programs import member_meetings
from apps.programs.models import Enrollment
from apps.programs.services.seats import program_enroll
from tests.factories import AppointmentFactory

from .factories import scheduled_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def evening_group(personas):
    program = scheduled_program(actor=personas.admin, capacity=2, meeting_count=3, title="Evening group")
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    return program


@pytest.fixture
def same_hour(personas):
    return scheduled_program(actor=personas.admin, capacity=2, meeting_count=2, title="Lecture series")


def test_a_program_meeting_at_the_same_time_clashes_with_the_patients_own(personas, evening_group, same_hour):
    clashes = member_meetings.program_clashes(patient=personas.patient, program=same_hour)

    assert {o.program_id for m in clashes for o in m.clashes_with} == {evening_group.pk}
    assert len(clashes) == 2  # the lecture series meets twice, both times over the group
    assert member_meetings.program_clashes(patient=personas.other_patient, program=same_hour) == []


def test_an_hour_later_or_a_cancelled_meeting_is_no_clash(personas, evening_group):
    import datetime as dt

    later = scheduled_program(
        actor=personas.admin, capacity=2, meeting_count=2, title="Late lecture", local_start_time=dt.time(19, 30)
    )
    assert member_meetings.program_clashes(patient=personas.patient, program=later) == []

    same = scheduled_program(actor=personas.admin, capacity=2, meeting_count=1, title="One-off")
    meeting = same.meetings.get().appointment
    type(meeting).objects.filter(pk=meeting.pk).update(status="cancelled")
    assert member_meetings.program_clashes(patient=personas.patient, program=same) == []


def test_the_warning_names_the_other_program_and_says_enrolling_is_still_possible(personas, evening_group, same_hour):
    to_patient = member_meetings.program_clash_warning(
        patient=personas.patient, program=same_hour, addressing_patient=True
    )
    to_staff = member_meetings.program_clash_warning(
        patient=personas.patient, program=same_hour, addressing_patient=False
    )

    assert "Lecture series meets at the same time as Evening group, which you are already in" in to_patient
    assert "You can still enroll" in to_patient
    assert personas.patient.display_name in to_staff and "You can still enroll them" in to_staff
    # The patient, who may be anywhere, reads the first overlap with its clock named; staff on the clinic's clock.
    first = same_hour.meetings.order_by("appointment__start").first().appointment.local_start
    said = f"{first:%A, %B} {first.day} at {first:%-I:%M %p}"
    assert f"(first overlap: {said} New York time" in to_patient
    assert f"(first overlap: {said};" in to_staff or f"(first overlap: {said})" in to_staff


def test_a_program_the_patient_only_waits_for_is_not_one_they_are_in(personas, same_hour):
    full = scheduled_program(actor=personas.admin, capacity=1, meeting_count=3, title="Full group")
    program_enroll(actor=personas.front_desk, program=full, patient=personas.other_patient)
    assert program_enroll(actor=personas.front_desk, program=full, patient=personas.patient).status == "waitlisted"

    to_patient = member_meetings.program_clash_warning(
        patient=personas.patient, program=same_hour, addressing_patient=True
    )
    to_staff = member_meetings.program_clash_warning(
        patient=personas.patient, program=same_hour, addressing_patient=False
    )

    assert "as Full group, whose waitlist you are on (first overlap:" in to_patient and "already in" not in to_patient
    assert to_patient.endswith("You can still enroll; if you get a seat there too, you cannot be at both.")
    assert f"as Full group, whose waitlist {personas.patient.display_name} is on (" in to_staff


def test_each_clashing_program_says_where_the_patient_stands_in_it(personas, evening_group, same_hour):
    full = scheduled_program(actor=personas.admin, capacity=1, meeting_count=3, title="Full group")
    program_enroll(actor=personas.front_desk, program=full, patient=personas.other_patient)
    program_enroll(actor=personas.front_desk, program=full, patient=personas.patient)

    to_patient = member_meetings.program_clash_warning(
        patient=personas.patient, program=same_hour, addressing_patient=True
    )

    assert (
        "Lecture series meets at the same time as Evening group, which you are already in, and Full group, whose "
        "waitlist you are on (first overlap:"
    ) in to_patient
    assert to_patient.endswith("You can still enroll, but you cannot be at both.")


def test_the_portal_join_page_warns_before_the_patient_enrols(personas, login, evening_group, same_hour):
    client = login(personas.patient_user)

    body = client.get(f"/portal/programs/{same_hour.pk}/").content.decode()
    assert "Time clash:" in body and "Evening group" in body

    response = client.post(f"/portal/programs/{same_hour.pk}/enroll/")
    assert response.status_code == 302
    assert Enrollment.objects.filter(patient=personas.patient, program=same_hour, status="enrolled").exists()


def test_the_portal_join_page_has_no_warning_without_a_clash(personas, login, same_hour):
    body = login(personas.patient_user).get(f"/portal/programs/{same_hour.pk}/").content.decode()

    assert "Time clash" not in body


def test_the_staff_enrol_form_asks_before_enrolling_over_a_clash(personas, login, evening_group, same_hour):
    client = login(personas.front_desk)

    asked = client.post(f"/programs/{same_hour.pk}/enroll/", {"patient": personas.patient.pk})
    assert asked.status_code == 409
    assert "The meeting times clash" in asked.content.decode()
    assert not Enrollment.objects.filter(patient=personas.patient, program=same_hour).exists()

    done = client.post(f"/programs/{same_hour.pk}/enroll/", {"patient": personas.patient.pk, "confirm_clash": "yes"})
    assert done.status_code == 302
    assert Enrollment.objects.filter(patient=personas.patient, program=same_hour, status="enrolled").exists()


def test_the_staff_enrol_form_enrols_at_once_without_a_clash(personas, login, same_hour):
    response = login(personas.front_desk).post(f"/programs/{same_hour.pk}/enroll/", {"patient": personas.patient.pk})

    assert response.status_code == 302
    assert Enrollment.objects.filter(patient=personas.patient, program=same_hour).exists()


def test_each_meeting_of_the_program_counts_once_however_many_programs_it_clashes_with(personas, login, evening_group):
    # Given the patient is in a three-meeting group and waits for another group at the same hour, three meetings too
    full = scheduled_program(actor=personas.admin, capacity=1, meeting_count=3, title="Full group")
    program_enroll(actor=personas.front_desk, program=full, patient=personas.other_patient)
    program_enroll(actor=personas.front_desk, program=full, patient=personas.patient)
    lectures = scheduled_program(actor=personas.admin, capacity=2, meeting_count=3, title="Three lectures")

    # When they look at a three-meeting series at the same hour
    clashes = member_meetings.program_clashes(patient=personas.patient, program=lectures)
    warning = member_meetings.program_clash_warning(patient=personas.patient, program=lectures, addressing_patient=True)
    page = login(personas.patient_user).get(f"/portal/programs/{lectures.pk}/").content.decode()

    # Then each of its three meetings is one clash, naming both programs it meets over
    assert [m.program_id for m in clashes] == [lectures.pk] * 3
    assert all({o.program.title for o in m.clashes_with} == {"Evening group", "Full group"} for m in clashes)
    assert "3 of its meetings overlap" in warning and "6 meetings" not in warning
    assert "3 of its meetings overlap" in page and "6 meetings" not in page


def test_a_program_meeting_over_the_patients_own_session_is_a_clash_too(personas, login, same_hour):
    # Given the patient's own session at the hour of the series' second meeting
    second = same_hour.meetings.order_by("appointment__start")[1].appointment
    AppointmentFactory(therapist=personas.therapist, patient=personas.patient, start=second.start, end=second.end)

    # When the patient and the front desk look at the series
    to_patient = member_meetings.program_clash_warning(
        patient=personas.patient, program=same_hour, addressing_patient=True
    )
    page = login(personas.patient_user).get(f"/portal/programs/{same_hour.pk}/").content.decode()
    asked = login(personas.front_desk).post(f"/programs/{same_hour.pk}/enroll/", {"patient": personas.patient.pk})

    # Then the one meeting over the session is named, and the desk is asked before enrolling
    assert [m.pk for m in member_meetings.meetings_over_own_sessions(patient=personas.patient, program=same_hour)] == [
        same_hour.meetings.order_by("appointment__start")[1].pk
    ]
    assert "Lecture series meets at the same time as your own sessions (first overlap:" in to_patient
    assert "meetings overlap" not in to_patient and to_patient.endswith("you cannot be at both.")
    assert "Time clash:" in page and "your own sessions" in page
    assert asked.status_code == 409 and f"{personas.patient.display_name}&#x27;s own sessions" in asked.content.decode()
    # Another patient's sessions are not theirs: nothing clashes for them.
    assert (
        member_meetings.program_clash_warning(
            patient=personas.other_patient, program=same_hour, addressing_patient=True
        )
        is None
    )


def test_a_meeting_over_both_a_program_and_a_session_counts_once(personas, evening_group, same_hour):
    first = same_hour.meetings.order_by("appointment__start")[0].appointment
    AppointmentFactory(therapist=personas.therapist, patient=personas.patient, start=first.start, end=first.end)

    warning = member_meetings.program_clash_warning(
        patient=personas.patient, program=same_hour, addressing_patient=True
    )

    assert "as Evening group, which you are already in, and your own sessions (" in warning
    assert "2 of its meetings overlap" in warning


@pytest.fixture
def clashing_offer(personas, evening_group, make_patients):
    """A seat in a second program meeting at the Evening group's hour, offered to the personas' patient, who is in
    the Evening group; the path of the emailed accept link."""
    from apps.notifications.models import Message
    from apps.programs.services.seats import enrollment_withdraw

    second = scheduled_program(actor=personas.admin, capacity=1, meeting_count=2, title="Second group")
    [member] = make_patients(1)
    seated = program_enroll(actor=personas.front_desk, program=second, patient=member)
    program_enroll(actor=personas.front_desk, program=second, patient=personas.patient)
    enrollment_withdraw(actor=personas.front_desk, enrollment=seated)
    offer = Enrollment.objects.get(program=second, patient=personas.patient, status="offered")
    link = Message.objects.get(template="seat_offer", patient=personas.patient, channel="email").context["accept_url"]
    return offer, link.split("localhost:8000", 1)[-1]


CLASH_TO_PATIENT = "Second group meets at the same time as Evening group, which you are already in"


def test_a_seat_offer_over_the_patients_group_warns_on_the_portal_and_can_still_be_accepted(
    personas, login, clashing_offer
):
    offer, _ = clashing_offer
    client = login(personas.patient_user)

    page = client.get(f"/portal/programs/{offer.program_id}/").content.decode()
    assert "Time clash:" in page and CLASH_TO_PATIENT in page
    assert "You can still accept the seat, but you cannot be at both." in page and "Accept the seat" in page
    listed = client.get("/portal/programs/").content.decode()
    assert f'/portal/programs/{offer.program_id}/#you-h">Accept or decline' in listed  # answered on the page

    client.post(f"/portal/programs/enrollments/{offer.pk}/accept/")
    assert Enrollment.objects.get(pk=offer.pk).status == "enrolled"


def test_the_emailed_accept_link_warns_of_the_clash_naming_programs_only_when_signed_in(
    personas, login, client, clashing_offer
):
    _, accept_path = clashing_offer
    signed_out = client.get(accept_path).content.decode()
    signed_in = login(personas.patient_user).get(accept_path).content.decode()

    assert "Time clash:" in signed_out and "Evening group" not in signed_out
    assert "Time clash:" in signed_in and CLASH_TO_PATIENT in signed_in


def test_the_front_desk_accepting_a_clashing_offer_is_warned_first_as_enrolling_is(personas, login, clashing_offer):
    offer, _ = clashing_offer
    client = login(personas.front_desk)
    url = f"/programs/enrollments/{offer.pk}/accept/"

    warned = client.post(url)
    body = warned.content.decode()
    assert warned.status_code == 409
    assert f"as Evening group, which {personas.patient.display_name} is already in" in body
    assert "You can still accept the seat for them." in body and 'name="confirm_clash" value="yes"' in body
    assert Enrollment.objects.get(pk=offer.pk).status == "offered"

    assert client.post(url, {"confirm_clash": "yes"}).status_code == 302
    assert Enrollment.objects.get(pk=offer.pk).status == "enrolled"


def test_an_offer_with_no_clash_is_accepted_by_the_front_desk_at_once(personas, login, make_patients):
    from apps.programs.services.seats import enrollment_withdraw

    program = scheduled_program(actor=personas.admin, capacity=1, meeting_count=2, title="Only group")
    [member] = make_patients(1)
    seated = program_enroll(actor=personas.front_desk, program=program, patient=member)
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    enrollment_withdraw(actor=personas.front_desk, enrollment=seated)
    offer = Enrollment.objects.get(program=program, patient=personas.patient)

    assert login(personas.front_desk).post(f"/programs/enrollments/{offer.pk}/accept/").status_code == 302
    assert Enrollment.objects.get(pk=offer.pk).status == "enrolled"
