"""Patient pages: enrolling, seeing one's own place in line and offers, answering an offer from its link."""

import datetime as dt

import pytest
import time_machine

from apps.core import clock
from apps.core.models import ClinicSettings
from apps.notifications.models import Message
from apps.patients.rules import LINK_SENT_TO_OLD_CONTACT
from apps.patients.services import patient_update
from apps.programs.models import Enrollment
from apps.programs.services.seats import enrollment_withdraw, program_enroll
from tests.factories import PatientFactory
from tests.programs.factories import scheduled_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_program(program, make_patients):
    """Three seats taken; the personas' patient is second in line behind a stranger."""
    members = make_patients(3)
    for patient in members:
        program_enroll(actor=patient.user, program=program, patient=patient)
    [ahead] = make_patients(1)
    program_enroll(actor=ahead.user, program=program, patient=ahead)
    return program, members, ahead


@pytest.fixture
def offer_path(personas, full_program):
    """The personas' patient joins the line and is offered a seat; the path of the emailed accept link."""
    program, members, ahead = full_program
    program_enroll(actor=personas.patient_user, program=program, patient=personas.patient)
    enrollment_withdraw(actor=ahead.user, enrollment=Enrollment.objects.get(patient=ahead))
    enrollment_withdraw(actor=members[0].user, enrollment=Enrollment.objects.get(patient=members[0]))
    link = Message.objects.get(template="seat_offer", patient=personas.patient, channel="email").context["accept_url"]
    return link.split("localhost:8000", 1)[-1]


def test_a_patient_enrolls_themselves_and_sees_the_meetings_section(personas, login, program):
    client = login(personas.patient_user)
    response = client.post(f"/portal/programs/{program.pk}/enroll/")
    assert response.status_code == 302
    assert Enrollment.objects.get(patient=personas.patient).status == "enrolled"
    page = client.get(f"/portal/programs/{program.pk}/").content.decode()
    assert "You have a seat" in page and "Meetings" in page


def test_enrolling_again_tells_the_patient_in_their_own_words(personas, login, program):
    client = login(personas.patient_user)
    client.post(f"/portal/programs/{program.pk}/enroll/")
    response = client.post(f"/portal/programs/{program.pk}/enroll/")
    again = response.content.decode()
    assert response.status_code == 409 and 'id="error-summary"' in again
    assert "You were not added. You are already enrolled in this program." in again and "This patient" not in again
    assert Enrollment.objects.filter(patient=personas.patient).count() == 1


def test_declining_an_offer_already_answered_is_a_conflict_on_the_page(personas, login, program):
    client = login(personas.patient_user)
    client.post(f"/portal/programs/{program.pk}/enroll/")
    enrollment = Enrollment.objects.get(patient=personas.patient)
    response = client.post(f"/portal/programs/enrollments/{enrollment.pk}/decline/", {"confirmed": "yes"})
    html = response.content.decode()
    assert response.status_code == 409 and "The seat was not declined. There is no open seat offer" in html
    assert Enrollment.objects.get(pk=enrollment.pk).status == "enrolled"


def test_a_waitlisted_patient_sees_their_place_and_nobody_elses(personas, login, full_program):
    program, members, ahead = full_program
    client = login(personas.patient_user)
    client.post(f"/portal/programs/{program.pk}/enroll/")
    page = client.get("/portal/programs/").content.decode()
    assert "You are <strong>#2</strong> on the waitlist" in page
    for other in [*members, ahead]:
        assert other.legal_last_name not in page


def test_an_offer_shows_its_deadline_and_the_link_accepts_it_for_the_signed_in_patient(
    personas, login, full_program, offer_path
):
    program = full_program[0]
    client = login(personas.patient_user)
    assert "A seat is held for you until" in client.get("/portal/programs/").content.decode()
    assert client.get(offer_path).status_code == 200
    assert client.post(offer_path).status_code == 302
    assert Enrollment.objects.get(patient=personas.patient, program=program).status == "enrolled"


def test_another_patient_cannot_use_someone_elses_offer_link(personas, login, full_program, offer_path):
    program = full_program[0]
    client = login(personas.other_patient_user)
    assert client.post(offer_path).status_code == 404
    assert Enrollment.objects.get(patient=personas.patient, program=program).status == "offered"


def test_an_offer_link_dies_with_the_offer(personas, login, full_program, offer_path):
    program = full_program[0]
    with time_machine.travel(clock.now() + dt.timedelta(hours=48, minutes=10), tick=False):
        client = login(personas.patient_user)
        assert "no longer open" in client.get(offer_path).content.decode()
        client.post(offer_path)
    assert Enrollment.objects.get(patient=personas.patient, program=program).status == "offered"


def test_a_forged_link_is_refused(personas, login):
    client = login(personas.patient_user)
    assert client.get("/portal/programs/offers/not-a-token/").status_code == 404


def test_staff_are_not_patients_in_the_portal(personas, login, program):
    client = login(personas.front_desk)
    assert client.get("/portal/programs/").status_code == 403
    assert client.post(f"/portal/programs/{program.pk}/enroll/").status_code == 403


def test_a_patient_cannot_act_on_another_patients_enrollment(personas, login, program):
    other = program_enroll(actor=personas.other_patient_user, program=program, patient=personas.other_patient)
    client = login(personas.patient_user)
    assert client.post(f"/portal/programs/enrollments/{other.pk}/withdraw/").status_code == 404
    assert Enrollment.objects.get(pk=other.pk).status == "enrolled"


def test_the_portal_program_pages_answer_in_a_fixed_number_of_queries(
    personas, login, full_program, django_assert_max_num_queries
):
    from .factories import ProgramFactory

    program, members, ahead = full_program
    for _ in range(4):
        ProgramFactory()
    program_enroll(actor=personas.patient_user, program=program, patient=personas.patient)
    ClinicSettings.load()  # a running clinic has its settings row; the page footer reads it
    client = login(personas.patient_user)
    # The portal menu's question whether *Book* leads anywhere is one of them.
    with django_assert_max_num_queries(9):
        assert client.get("/portal/programs/").status_code == 200
    # Two more on the program's page: its next meeting and the fee configuration, to state the fee a meeting.
    with django_assert_max_num_queries(11):
        assert client.get(f"/portal/programs/{program.pk}/").status_code == 200


def test_the_enrollments_api_answers_in_a_fixed_number_of_queries(
    personas, login, full_program, make_patients, django_assert_max_num_queries
):
    program, members, ahead = full_program
    for patient in make_patients(6):
        program_enroll(actor=patient.user, program=program, patient=patient)
    client = login(personas.front_desk, api=True)
    with django_assert_max_num_queries(5):
        rows = client.get("/api/enrollments/", {"program": program.pk}).json()["results"]
    assert len(rows) == 10


def test_leaving_a_program_asks_first_then_leaves(personas, login, program):
    mine = program_enroll(actor=personas.patient_user, program=program, patient=personas.patient)
    client = login(personas.patient_user)
    url = f"/portal/programs/enrollments/{mine.pk}/withdraw/"
    asked = client.post(url)
    assert asked.status_code == 200 and f"Withdraw from {program.title}?" in asked.content.decode()
    assert Enrollment.objects.get(pk=mine.pk).status == "enrolled"
    assert client.post(url, {"confirmed": "yes"}).status_code == 302
    assert Enrollment.objects.get(pk=mine.pk).status == "withdrawn"


def test_before_enrollment_opens_the_page_says_when_instead_of_offering_to_enroll(personas, login):
    opens = clock.local_now().date() + dt.timedelta(days=3)
    program = scheduled_program(actor=personas.front_desk, enrollment_opens_on=opens)
    client = login(personas.patient_user)
    page = client.get(f"/portal/programs/{program.pk}/").content.decode()
    assert f"Enrollment opens on {opens:%B} {opens.day}." in page
    assert f'action="/portal/programs/{program.pk}/enroll/"' not in page
    client.post(f"/portal/programs/{program.pk}/enroll/")
    assert not Enrollment.objects.filter(program=program).exists()
    staff_page = login(personas.front_desk).get(f"/programs/{program.pk}/").content.decode()
    assert "Enroll or waitlist</button>" in staff_page  # staff may enroll before the window opens


def test_after_the_last_meeting_staff_are_told_enrollment_has_closed(personas, login):
    program = scheduled_program(actor=personas.front_desk, meeting_count=1)
    last = program.meetings.get().appointment
    with time_machine.travel(last.end + dt.timedelta(days=1), tick=False):
        page = login(personas.front_desk).get(f"/programs/{program.pk}/").content.decode()
    assert "Enrollment for this program has closed." in page and "Enroll or waitlist</button>" not in page


def test_a_seat_offer_past_its_deadline_offers_no_answer_before_the_sweep_passes_it_on(
    personas, login, full_program, offer_path
):
    program, _, _ = full_program
    enrollment = Enrollment.objects.get(patient=personas.patient)
    client = login(personas.patient_user)
    assert "Accept the seat" in client.get(f"/portal/programs/{program.pk}/").content.decode()
    with time_machine.travel(enrollment.offer_expires_at + dt.timedelta(seconds=1), tick=False):
        client = login(personas.patient_user)  # the earlier sign-in has lapsed by then
        page = client.get(f"/portal/programs/{program.pk}/").content.decode()
        listed = client.get("/portal/programs/").content.decode()
    assert Enrollment.objects.get(pk=enrollment.pk).status == "offered"  # not yet swept
    for shown in (page, listed):
        assert "Offer ended" in shown and "Accept the seat" not in shown


def test_the_offer_card_answers_accept_or_decline_and_declining_asks_first(personas, login, full_program, offer_path):
    program, _, _ = full_program
    enrollment = Enrollment.objects.get(patient=personas.patient)
    client = login(personas.patient_user)
    decline = f"/portal/programs/enrollments/{enrollment.pk}/decline/"

    card = client.get(f"/portal/programs/{program.pk}/").content.decode()
    assert "Accept the seat" in card and f'action="{decline}"' in card
    assert "/withdraw/" not in card and "Give up" not in card  # one way to turn the seat down, not two

    asked = client.post(decline).content.decode()
    assert f"Decline the seat held for you in {program.title}?" in asked and "This cannot be undone" in asked
    assert "you leave the waitlist" in asked and f'action="{decline}"' in asked
    assert Enrollment.objects.get(pk=enrollment.pk).status == "offered"

    client.post(decline, {"confirmed": "yes"})
    assert Enrollment.objects.get(pk=enrollment.pk).status == "declined"


def test_the_emailed_decline_link_says_what_declining_does_before_the_press(client, chart_only_offer):
    enrollment, paths = chart_only_offer
    page = client.get(paths["decline"]).content.decode()
    assert "Decline the seat" in page and "you leave the waitlist. This cannot be undone" in page
    assert "cannot be undone" not in client.get(paths["accept"]).content.decode()
    assert Enrollment.objects.get(pk=enrollment.pk).status == "offered"


@pytest.fixture
def chart_only_offer(personas, full_program):
    """A patient with a chart but no portal account, put in line by the front desk and offered a seat; the paths of
    the emailed accept and decline links."""
    program, members, ahead = full_program
    patient = PatientFactory()
    program_enroll(actor=personas.front_desk, program=program, patient=patient)
    enrollment_withdraw(actor=ahead.user, enrollment=Enrollment.objects.get(patient=ahead))
    enrollment_withdraw(actor=members[0].user, enrollment=Enrollment.objects.get(patient=members[0]))
    context = Message.objects.get(template="seat_offer", patient=patient, channel="email").context
    paths = {action: context[f"{action}_url"].split("localhost:8000", 1)[-1] for action in ("accept", "decline")}
    return Enrollment.objects.get(patient=patient, program=program), paths


def test_a_patient_without_a_portal_account_takes_the_seat_from_the_emailed_link(client, chart_only_offer):
    enrollment, paths = chart_only_offer
    page = client.get(paths["accept"])
    assert page.status_code == 200
    assert "Accept the seat" in page.content.decode() and "/accounts/login" not in page.get("Location", "")
    assert Enrollment.objects.get(pk=enrollment.pk).status == "offered"  # opening the link answers nothing
    answered = client.post(paths["accept"])
    assert answered.status_code == 302 and answered["Location"] == paths["accept"]
    assert Enrollment.objects.get(pk=enrollment.pk).status == "enrolled"
    after = client.get(paths["accept"]).content.decode()
    assert "is confirmed" in after and "The seat is taken" in after and "Accept the seat" not in after
    transition = enrollment.transitions.order_by("-pk").first()
    assert (transition.to_status, transition.actor) == ("enrolled", None)


def test_a_patient_without_a_portal_account_declines_from_the_link_and_the_seat_moves_on(client, chart_only_offer):
    enrollment, paths = chart_only_offer
    client.post(paths["decline"])
    assert Enrollment.objects.get(pk=enrollment.pk).status == "declined"
    assert "no longer open: declined" in client.get(paths["accept"]).content.decode()
    assert client.post(paths["accept"]).status_code == 302
    assert Enrollment.objects.get(pk=enrollment.pk).status == "declined"


def test_a_seat_offer_link_from_before_an_email_change_is_refused_and_the_seat_stays_offered(
    client, personas, chart_only_offer
):
    enrollment, paths = chart_only_offer
    assert client.get(paths["accept"]).status_code == 200
    # A minute on: signing times are whole seconds, so the change is told apart from the offer at any hour.
    with time_machine.travel(clock.now() + dt.timedelta(minutes=1)):
        patient_update(actor=personas.front_desk, patient=enrollment.patient, email="someone.new@example.test")
        for path in paths.values():
            for answer in (client.get(path), client.post(path)):
                assert answer.status_code == 404
                assert LINK_SENT_TO_OLD_CONTACT in answer.content.decode()
    assert Enrollment.objects.get(pk=enrollment.pk).status == "offered"


def test_a_signed_out_offer_page_tells_how_to_reach_the_clinic_instead_of_linking_to_a_sign_in(
    client, chart_only_offer
):
    settings = ClinicSettings.load()
    settings.phone, settings.email = "(617) 555-0100", "frontdesk@clinic.test"
    settings.save()
    _, paths = chart_only_offer
    for page in (
        client.get(paths["accept"]).content.decode(),
        client.get("/portal/programs/offers/not-a-token/").content.decode(),
    ):
        assert 'href="tel:(617) 555-0100"' in page and 'href="mailto:frontdesk@clinic.test"' in page
        # Nothing on the page leads to the portal's signed-in pages, which a patient without an account cannot pass.
        assert 'href="/portal/' not in page and "/accounts/login" not in page


def test_a_signed_in_patient_keeps_the_footer_link_to_the_contact_page(personas, login, offer_path):
    page = login(personas.patient_user).get(offer_path).content.decode()
    assert 'href="/portal/contact/">Contact the clinic</a>' in page


def test_signed_out_the_link_answers_for_a_patient_with_an_account_too(personas, client, full_program, offer_path):
    assert client.post(offer_path).status_code == 302
    assert Enrollment.objects.get(patient=personas.patient, program=full_program[0]).status == "enrolled"


def test_a_signed_out_link_cannot_answer_a_lecture_registrants_seat_or_a_made_up_one(client):
    from apps.waitlist.offers import offer_token_make

    token = offer_token_make(kind="seat", object_id=10**9, offer_number=1, action="accept")
    assert client.get(f"/portal/programs/offers/{token}/").status_code == 404
    assert client.get("/portal/programs/offers/not-a-token/").status_code == 404


def _join_link(program) -> str:
    return f'<a class="button" href="/portal/programs/{program.pk}/#you-h">'


def test_a_program_with_seats_shows_in_the_list_how_to_join_it(personas, login, program):
    client = login(personas.patient_user)
    listed = client.get("/portal/programs/").content.decode()
    assert "Seats available" in listed and f"{_join_link(program)}See times and enroll</a>" in listed
    detail = client.get(f"/portal/programs/{program.pk}/").content.decode()
    assert 'id="you-h"' in detail and "Enroll</button>" in detail  # where the link leads: the page's enroll button


def test_a_full_program_in_the_list_leads_to_its_waitlist(personas, login, full_program):
    program, _members, _ahead = full_program
    listed = login(personas.patient_user).get("/portal/programs/").content.decode()
    assert f"{_join_link(program)}See times and join the waitlist</a>" in listed


def test_a_program_not_yet_open_for_enrollment_says_when_in_the_list_instead_of_a_join_link(personas, login):
    opens = clock.local_now().date() + dt.timedelta(days=3)
    program = scheduled_program(actor=personas.front_desk, enrollment_opens_on=opens)
    listed = login(personas.patient_user).get("/portal/programs/").content.decode()
    assert f"Enrollment opens on {opens:%B} {opens.day}." in listed and _join_link(program) not in listed


def test_a_seat_offers_deadline_is_told_on_the_patients_own_clock_too(personas, login, full_program, offer_path):
    """The deadline is the clinic's; a patient on another clock reads it on theirs as well, as they read sessions."""
    from zoneinfo import ZoneInfo

    from apps.core.time_zones import when_text

    personas.patient.time_zone = "Asia/Tokyo"  # never the clinic's clock
    personas.patient.save(update_fields=["time_zone"])
    enrollment = Enrollment.objects.get(patient=personas.patient, program=full_program[0])
    theirs = when_text(
        enrollment.offer_expires_at, zone=clock.clinic_tz(), reader_zone=ZoneInfo("Asia/Tokyo"), day_format=""
    )
    said = theirs[theirs.index("(") :]
    client = login(personas.patient_user)
    for page in ("/portal/", "/portal/programs/", f"/portal/programs/{full_program[0].pk}/", offer_path):
        assert said in client.get(page).content.decode(), page
