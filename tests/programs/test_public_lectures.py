"""Lecture series open to the public: registration by name and email, the shared seat count and waitlist, the
patient-email refusal, linking a registrant to a new chart, reminders, attendance and the education fee."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import override_settings

from apps.billing.demo import FEE_START, config_seed
from apps.billing.models import Charge
from apps.billing.services.assessments import assessment_approve, assessment_submit
from apps.billing.services.configuration import fee_schedule_set
from apps.core import clock
from apps.core.errors import Unprocessable
from apps.notifications.models import Message
from apps.patients.services import patient_create
from apps.programs import lecture_selectors, selectors
from apps.programs.models import Enrollment, EnrollmentStatus, GroupProgram, LecturePayment, PublicRegistrant
from apps.programs.registration_links import registration_token_make
from apps.programs.services.attendance import attendance_record
from apps.programs.services.lecture_terms import lecture_service_type
from apps.programs.services.lectures import (
    lecture_payment_record,
    lecture_register,
    registrant_link,
)
from apps.programs.services.meetings import meeting_reminders_queue
from apps.programs.services.seats import enrollment_withdraw
from tests.factories import RoomFactory
from tests.locking import at_once

from .factories import ProgramFactory, group_service, scheduled_program

RATE = override_settings(CLINIC_LECTURE_REGISTRATION_RATE="1000/min")


def lecture(**extra) -> GroupProgram:
    fields = {"kind": "lecture", "service_type": lecture_service_type(), "fee_mode": "donation", "capacity": 1}
    return ProgramFactory(**{**fields, **extra})


def register(program, name="Robin Visitor", email="robin@example.test", **extra):
    return lecture_register(program=program, name=name, email=email, consent=True, **extra)


@pytest.mark.django_db
def test_a_visitor_gets_a_seat_and_the_next_joins_the_waitlist_sharing_one_count_with_patients(personas):
    program = lecture(capacity=2)
    first = register(program, email="Robin@Example.TEST")
    from apps.programs.services.seats import program_enroll

    patient_seat = program_enroll(actor=personas.front_desk, program=program, patient=personas.other_patient)
    second = register(program, name="Sam Visitor", email="sam@example.test")
    assert (first.status, patient_seat.status, second.status) == ("enrolled", "enrolled", "waitlisted")
    assert first.registrant.email == "robin@example.test"
    assert lecture_selectors.waitlist_rank(second) == 1
    confirmation = Message.objects.get(dedupe_key=f"enrollment:{first.pk}:enrollment_confirmed")
    assert confirmation.patient is None and confirmation.recipient_user is None
    assert confirmation.to_address == "robin@example.test"
    assert "/lectures/registration/" in confirmation.context["manage_url"]
    assert Message.objects.filter(template="lecture_registration_waitlisted", to_address="sam@example.test").exists()


@pytest.mark.django_db
def test_a_freed_seat_is_offered_to_the_registrant_by_email_with_public_links(personas, client):
    program = lecture(capacity=1)
    seated = register(program)
    waiting = register(program, name="Sam Visitor", email="sam@example.test")
    enrollment_withdraw(actor=None, enrollment=seated)
    waiting.refresh_from_db()
    assert waiting.status == EnrollmentStatus.OFFERED
    offer = Message.objects.get(template="lecture_seat_offer")
    assert offer.to_address == "sam@example.test"
    assert "/lectures/offers/" in offer.context["accept_url"]
    accept_path = offer.context["accept_url"].split("testserver")[-1].split("://")[-1]
    accept_path = accept_path[accept_path.index("/lectures/") :]
    assert client.get(accept_path).status_code == 200
    assert client.post(accept_path).status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == EnrollmentStatus.ENROLLED


@pytest.mark.django_db
def test_a_registrants_decline_link_says_what_declining_does_before_the_press(client):
    program = lecture(capacity=1)
    seated = register(program)
    waiting = register(program, name="Sam Visitor", email="sam@example.test")
    enrollment_withdraw(actor=None, enrollment=seated)
    decline_url = Message.objects.get(template="lecture_seat_offer").context["decline_url"]
    decline_path = decline_url[decline_url.index("/lectures/") :]

    page = client.get(decline_path).content.decode()
    assert "Decline the seat" in page and "you leave the waitlist. This cannot be undone" in page
    waiting.refresh_from_db()
    assert waiting.status == EnrollmentStatus.OFFERED


@pytest.mark.django_db
def test_registrant_notices_carry_no_clinical_or_chart_fields(personas):
    program = lecture(capacity=1)
    register(program)
    register(program, name="Sam Visitor", email="sam@example.test")
    for message in Message.objects.filter(patient__isnull=True):
        assert set(message.context) <= {
            "registrant_name",
            "program_title",
            "manage_url",
            "first_meeting",
            "deadline",
            "accept_url",
            "decline_url",
        }


@pytest.mark.django_db
def test_an_email_that_is_a_patients_registers_like_any_and_never_reaches_their_chart(personas):
    """The public answer never tells whether someone is a patient; and since anyone could type a patient's address,
    the registration is a member of the public's, paid at the door, not billed to the chart nor shown on it."""
    program = lecture()
    enrollment = register(program, email=personas.patient.email.upper())
    assert enrollment.status == EnrollmentStatus.ENROLLED
    assert enrollment.registrant.patient is None and enrollment.billed_patient is None
    assert not lecture_selectors.registrant_lecture_history(patient=personas.patient).exists()


@pytest.mark.django_db
@RATE
def test_the_public_api_answers_a_patients_email_as_anyones_400_for_a_bad_one_and_201_with_the_line(personas, client):
    program = lecture(capacity=1)
    url = f"/api/public/lectures/{program.pk}/register/"
    ok = client.post(url, {"name": "Robin", "email": "robin@example.test", "consent": True}, "application/json")
    assert ok.status_code == 201 and ok.json()["status"] == "enrolled"
    full = client.post(url, {"name": "Sam", "email": "sam@example.test", "consent": True}, "application/json")
    assert full.status_code == 201 and full.json()["waitlist_rank"] == 1
    patients = client.post(url, {"name": "P", "email": personas.patient.email, "consent": True}, "application/json")
    assert patients.status_code == 201 and patients.json()["waitlist_rank"] == 2  # nothing says it is a patient's
    bad = client.post(url, {"name": "X", "email": "not-an-email", "consent": True}, "application/json")
    assert bad.status_code == 400
    again = client.post(url, {"name": "Robin", "email": "ROBIN@example.test", "consent": True}, "application/json")
    assert again.status_code == 409
    assert Enrollment.objects.filter(program=program).count() == 3


@pytest.mark.django_db
@override_settings(CLINIC_LECTURE_REGISTRATION_RATE="2/min")
def test_public_registrations_are_rate_limited_per_address(client):
    program = lecture(capacity=5)
    url = f"/api/public/lectures/{program.pk}/register/"
    statuses = [
        client.post(
            url,
            {"name": "N", "email": f"n{i}@example.test", "consent": True},
            "application/json",
            REMOTE_ADDR="203.0.113.77",
        ).status_code
        for i in range(3)
    ]
    assert statuses[-1] == 429


@pytest.mark.django_db
@RATE
def test_the_public_page_registers_and_confirms_a_patients_address_as_anyones(personas, client):
    program = lecture(capacity=1)
    assert program.title in client.get("/lectures/").content.decode()
    response = client.post(
        f"/lectures/{program.pk}/", {"name": "Robin Visitor", "email": "robin@example.test", "consent": "on"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "You are registered" in page
    patients = client.post(
        f"/lectures/{program.pk}/", {"name": "Pat", "email": personas.patient.email, "consent": "on"}
    )
    assert patients.status_code == 302  # as anyone's: nothing says the address is a patient's
    answer = client.get(patients["Location"]).content.decode()
    assert "You are on the waitlist" in answer and "portal" not in answer.lower()


@pytest.mark.django_db
def test_a_lecture_cannot_use_a_psychotherapy_code_in_the_service_or_the_database(personas):
    with pytest.raises(Unprocessable) as caught:
        scheduled_program(actor=personas.front_desk, kind="lecture", fee_mode="donation")
    assert "service_type" in caught.value.fields
    program = lecture()
    program.service_type = group_service()
    with pytest.raises(IntegrityError), transaction.atomic():
        program.save()


@pytest.mark.django_db
def test_a_sliding_lecture_needs_a_reduced_price_no_higher_than_the_full(personas):
    with pytest.raises(Unprocessable):
        scheduled_program(
            actor=personas.front_desk,
            kind="lecture",
            service_type=lecture_service_type(),
            fee_mode="sliding",
            full_price=Decimal("20.00"),
            reduced_price=Decimal("25.00"),
        )


@pytest.mark.django_db
def test_a_new_chart_with_a_registrants_email_is_linked_not_duplicated(personas):
    program = lecture()
    enrollment = register(program, email="casey@example.test")
    patient = patient_create(
        actor=personas.front_desk,
        legal_first_name="Casey",
        legal_last_name="Newcomer",
        date_of_birth=dt.date(1980, 1, 2),
        email="Casey@example.test",
    )
    registrant = PublicRegistrant.objects.get()
    assert registrant.patient == patient
    assert list(lecture_selectors.registrant_lecture_history(patient=patient)) == [enrollment]


@pytest.mark.django_db
def test_registrants_are_reminded_by_email_once_per_meeting(personas):
    program = scheduled_program(
        actor=personas.front_desk, kind="lecture", service_type=lecture_service_type(), fee_mode="donation"
    )
    enrollment = register(program)
    first = selectors.program_meetings(program=program).first().appointment
    with time_machine.travel(first.start - dt.timedelta(hours=2), tick=False):
        assert meeting_reminders_queue() >= 1
        meeting_reminders_queue()
    reminders = Message.objects.filter(template="lecture_meeting_reminder")
    assert reminders.count() == 1
    assert reminders.get().to_address == "robin@example.test"
    assert f"member:{enrollment.pk}" in reminders.get().dedupe_key


@pytest.mark.django_db
def test_the_attendance_sheet_lists_registrants_and_fees_go_to_the_door_or_a_linked_ledger(personas):
    program = scheduled_program(
        actor=personas.front_desk,
        kind="lecture",
        service_type=lecture_service_type(),
        fee_mode="sliding",
        full_price=Decimal("20.00"),
        reduced_price=Decimal("5.00"),
    )
    config_seed()
    fee_schedule_set(
        actor=personas.billing, service_type=program.service_type, full_fee=Decimal("100.00"), effective_from=FEE_START
    )
    public = register(program, fee_tier="reduced")
    patient = personas.patient  # the chart Casey opened later with the address they registered with
    linked = register(program, name="Casey", email=patient.email, fee_tier="full")
    assessment = assessment_submit(
        actor=personas.billing, patient=patient, household_size=1, annual_income=Decimal("30000")
    )
    assessment_approve(actor=personas.billing, assessment=assessment)
    registrant_link(actor=personas.front_desk, patient=patient)
    meeting = selectors.program_meetings(program=program).first()
    names = [e.member_name for e, _ in selectors.meeting_attendance_sheet(meeting=meeting)]
    assert sorted(names) == ["Casey", "Robin Visitor"]
    with time_machine.travel(meeting.appointment.start + dt.timedelta(minutes=30), tick=False):
        for enrollment in (public, linked):
            attendance_record(actor=personas.therapist, meeting=meeting, enrollment=enrollment, status="attended")
    charge = Charge.objects.get()
    assert charge.patient == patient and charge.service_type.code == "EDU-LECT"
    assert charge.amount < charge.full_fee == Decimal("100.00")  # slid to the patient's class
    lecture_payment_record(
        actor=personas.front_desk, enrollment=public, kind="fee", amount=Decimal("2.00"), method="cash"
    )
    rows = {r.pk: r for r in lecture_selectors.program_registrants(program=program)}
    assert (rows[public.pk].attended, rows[public.pk].paid, rows[public.pk].owed) == (
        1,
        Decimal("2.00"),
        Decimal("3.00"),
    )
    # Casey came, and the lecture is on their account: nothing is owed at the door for it.
    assert (rows[linked.pk].attended, rows[linked.pk].owed) == (1, Decimal("0.00"))
    assert LecturePayment.objects.get().received_by == personas.front_desk


@pytest.mark.django_db
def test_the_registrants_api_and_roster_page_keep_their_query_counts(personas, login, django_assert_max_num_queries):
    program = lecture(capacity=3)
    for i in range(6):
        register(program, name=f"Visitor {i}", email=f"v{i}@example.test")
    api = login(personas.front_desk, api=True)
    with django_assert_max_num_queries(6):
        response = api.get(f"/api/programs/{program.pk}/registrants/")
    assert response.status_code == 200 and len(response.json()) == 6
    assert login(personas.patient_user, api=True).get(f"/api/programs/{program.pk}/registrants/").status_code == 403
    page = login(personas.front_desk)
    with django_assert_max_num_queries(15):
        assert page.get(f"/programs/{program.pk}/").status_code == 200
    with django_assert_max_num_queries(7):
        assert page.get("/lectures/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_visitors_for_the_last_seat_get_one_seat_and_one_place_in_line():
    program = lecture(capacity=1)
    outcomes = at_once(
        *[(lambda i=i: register(program, name=f"Visitor {i}", email=f"visitor{i}@example.test")) for i in range(2)]
    )
    assert sorted(o.status for o in outcomes) == ["enrolled", "waitlisted"]


@pytest.mark.django_db
def test_the_chart_shows_the_lectures_a_linked_registrant_attended(personas, login):
    program = lecture(title="Pain is real — and reversible")
    register(program, email=personas.patient.email)
    registrant_link(actor=personas.front_desk, patient=personas.patient)  # as when the chart is opened
    page = login(personas.therapist).get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    assert "Public lectures" in page and "Pain is real — and reversible: enrolled" in page


@pytest.mark.django_db
def test_the_registrant_cancels_from_their_link_after_confirming_and_the_seat_is_offered_on(client):
    program = lecture(capacity=1)
    seated = register(program)
    waiting = register(program, name="Sam Visitor", email="sam@example.test")
    manage = Message.objects.get(dedupe_key=f"enrollment:{seated.pk}:enrollment_confirmed").context["manage_url"]
    path = manage[manage.index("/lectures/") :]
    assert "Cancel my registration" in client.get(path).content.decode()
    assert "cannot be given back" in client.get(path + "cancel/").content.decode()
    seated.refresh_from_db()
    assert seated.status == EnrollmentStatus.ENROLLED  # opening the confirmation changes nothing
    assert client.post(path + "cancel/").status_code == 302
    seated.refresh_from_db()
    waiting.refresh_from_db()
    assert (seated.status, waiting.status) == (EnrollmentStatus.WITHDRAWN, EnrollmentStatus.OFFERED)
    assert client.get("/lectures/registration/forged-token/").status_code == 404


@pytest.mark.django_db
def test_a_payment_at_the_door_takes_a_confirming_step_and_billing_may_record_it(personas, login):
    program = lecture(capacity=2, fee_mode="sliding", full_price=Decimal("20.00"), reduced_price=Decimal("5.00"))
    enrollment = register(program, fee_tier="full")
    url = f"/programs/enrollments/{enrollment.pk}/lecture-payment/"
    staff = login(personas.billing)
    form = {"kind": "fee", "amount": "20.00", "method": "cash"}
    assert "Record the payment" in staff.post(url, form).content.decode()
    assert not LecturePayment.objects.exists()
    assert staff.post(url, {**form, "confirm": "yes"}).status_code == 302
    assert LecturePayment.objects.get().amount == Decimal("20.00")
    assert login(personas.therapist).get(url).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_payment_at_the_door_is_recorded_in_a_transaction_of_its_own(personas):
    # Outside any caller's transaction (as a page's request is): the service takes its own, and its lock in it.
    program = lecture(capacity=2, fee_mode="sliding", full_price=Decimal("20.00"), reduced_price=Decimal("5.00"))
    enrollment = register(program, fee_tier="full")
    lecture_payment_record(
        actor=personas.front_desk, enrollment=enrollment, kind="fee", amount=Decimal("20.00"), method="cash"
    )
    assert LecturePayment.objects.get().amount == Decimal("20.00")


@pytest.mark.django_db
def test_a_refund_at_the_door_is_never_more_than_was_paid_for_the_same_kind(personas, login):
    program = lecture(capacity=2, fee_mode="sliding", full_price=Decimal("20.00"), reduced_price=Decimal("5.00"))
    enrollment = register(program, fee_tier="full")
    url = f"/programs/enrollments/{enrollment.pk}/lecture-payment/"
    refused = login(personas.billing).post(
        url, {"kind": "fee", "amount": "-9999999.99", "method": "cash", "confirm": "yes"}
    )
    assert "Only $0.00 was paid in lecture fees" in refused.content.decode()
    assert not LecturePayment.objects.exists()

    def record(kind, amount):
        return lecture_payment_record(
            actor=personas.front_desk, enrollment=enrollment, kind=kind, amount=Decimal(amount), method="cash"
        )

    record("fee", "20.00")
    record("donation", "5.00")
    with pytest.raises(Unprocessable, match=r"Only \$20.00 was paid in lecture fees"):
        record("fee", "-20.01")
    with pytest.raises(Unprocessable, match=r"Only \$5.00 was paid in donations"):
        record("donation", "-5.01")
    record("fee", "-12.00")
    with pytest.raises(Unprocessable, match=r"Only \$8.00 was paid in lecture fees"):
        record("fee", "-8.01")
    record("fee", "-8.00")
    assert sorted(LecturePayment.objects.values_list("amount", flat=True)) == [
        Decimal("-12.00"),
        Decimal("-8.00"),
        Decimal("5.00"),
        Decimal("20.00"),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_refunds_at_the_door_at_once_give_back_no_more_than_was_paid(personas):
    program = lecture(capacity=2, fee_mode="sliding", full_price=Decimal("20.00"), reduced_price=Decimal("5.00"))
    enrollment = register(program, fee_tier="full")
    lecture_payment_record(
        actor=personas.front_desk, enrollment=enrollment, kind="fee", amount=Decimal("20.00"), method="cash"
    )

    def refund_at_the_door():
        return lecture_payment_record(
            actor=personas.front_desk, enrollment=enrollment, kind="fee", amount=Decimal("-15.00"), method="cash"
        )

    outcomes = at_once(refund_at_the_door, refund_at_the_door)
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["LecturePayment", "Unprocessable"]
    assert sum(LecturePayment.objects.values_list("amount", flat=True)) == Decimal("5.00")


@pytest.mark.django_db
def test_a_free_series_takes_donations_at_the_door_and_its_form_offers_no_fee(personas, login):
    program = lecture(capacity=2)  # fee_mode "donation"
    enrollment = register(program)
    url = f"/programs/enrollments/{enrollment.pk}/lecture-payment/"
    staff = login(personas.billing)
    page = staff.get(url).content.decode()
    assert 'value="donation"' in page and 'value="fee"' not in page
    refused = staff.post(url, {"kind": "fee", "amount": "5.00", "method": "cash", "confirm": "yes"})
    assert refused.status_code == 422 and "fee" in refused.context["form"].errors["kind"][0].lower()
    with pytest.raises(Unprocessable, match="This lecture series is free"):
        lecture_payment_record(
            actor=personas.front_desk, enrollment=enrollment, kind="fee", amount=Decimal("5.00"), method="cash"
        )
    assert not LecturePayment.objects.exists()


@pytest.mark.django_db
def test_a_registration_link_stops_working_a_month_after_the_series_or_the_registration_ended(personas, client):

    from apps.programs.lecture_selectors import LINK_DAYS_AFTER

    program = lecture(capacity=2)
    kept = register(program)
    left = register(program, name="Sam Visitor", email="sam@example.test")
    enrollment_withdraw(actor=None, enrollment=left)

    def link(enrollment) -> str:
        message = Message.objects.filter(subject_id=str(enrollment.pk), context__has_key="manage_url").first()
        url = message.context["manage_url"]
        return url[url.index("/lectures/") :]

    # No meetings are booked for this series: it ends on its planned last week.
    last = clock.local_datetime(program.first_meeting_on + dt.timedelta(weeks=program.meeting_count - 1), dt.time(12))
    left_on = clock.local_now()
    with time_machine.travel(left_on + dt.timedelta(days=LINK_DAYS_AFTER - 1), tick=False):
        assert client.get(link(left)).status_code == 200
    with time_machine.travel(left_on + dt.timedelta(days=LINK_DAYS_AFTER + 1), tick=False):
        expired = client.get(link(left))
        assert expired.status_code == 410 and "This link has expired" in expired.content.decode()
        assert client.post(link(left) + "cancel/").status_code == 410
        assert client.get(link(kept)).status_code == 200  # the seat still counts: the series has not ended
    with time_machine.travel(last + dt.timedelta(days=LINK_DAYS_AFTER + 1), tick=False):
        assert client.get(link(kept)).status_code == 410
        assert client.post(link(kept) + "cancel/").status_code == 410
    kept.refresh_from_db()
    assert kept.status == EnrollmentStatus.ENROLLED


@pytest.mark.django_db
def test_a_registrants_offer_link_moved_to_the_portals_address_answers_nothing(personas, client):
    program = lecture(capacity=1)
    seated = register(program)
    waiting = register(program, name="Sam Visitor", email="sam@example.test")
    enrollment_withdraw(actor=None, enrollment=seated)
    token = Message.objects.get(template="lecture_seat_offer").context["accept_url"].rstrip("/").rsplit("/", 1)[-1]
    assert client.get(f"/portal/programs/offers/{token}/").status_code == 404
    assert client.post(f"/portal/programs/offers/{token}/").status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == EnrollmentStatus.OFFERED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload", [{}, {"e": "one"}, {"e": None}, {"e": 1.5}, {"e": True}, {"e": 10**30}, [1], "registration"]
)
def test_a_registration_link_signed_by_the_clinic_but_malformed_is_not_valid(client, payload):
    from django.core import signing

    from apps.programs.registration_links import TOKEN_SALT

    token = signing.dumps(payload, salt=TOKEN_SALT, compress=True)
    for path in (f"/lectures/registration/{token}/", f"/lectures/registration/{token}/cancel/"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert "This registration link is not valid." in answer.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("fee_mode", ["donation", "sliding"])
def test_a_video_lecture_says_nothing_of_a_door_and_one_in_a_room_still_does(client, fee_mode):
    prices = {"full_price": Decimal("20.00"), "reduced_price": Decimal("5.00")} if fee_mode == "sliding" else {}
    tier = {"fee_tier": "reduced"} if fee_mode == "sliding" else {}
    by_video = lecture(fee_mode=fee_mode, capacity=2, **prices)
    in_a_room = lecture(fee_mode=fee_mode, capacity=2, is_telehealth=False, room=RoomFactory(), **prices)

    for program, said_at_the_door in ((by_video, False), (in_a_room, True)):
        page = client.get(f"/lectures/{program.pk}/").content.decode()
        token = registration_token_make(register(program, **tier).pk)
        registration = client.get(f"/lectures/registration/{token}/").content.decode()
        assert ("at the door" in page) is said_at_the_door
        assert ("at the door" in registration) is (said_at_the_door and fee_mode == "sliding")
