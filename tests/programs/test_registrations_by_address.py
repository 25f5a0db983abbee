"""A lecture registration on the public page is made by whoever types an address: it tells them nothing the clinic
already holds under that address, and it never reaches the chart of the person the address belongs to."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from apps.billing.demo import FEE_START, config_seed
from apps.billing.models import Charge
from apps.billing.services.assessments import assessment_approve, assessment_submit
from apps.billing.services.configuration import fee_schedule_set
from apps.patients.services import patient_create
from apps.programs import lecture_selectors, selectors
from apps.programs.services.attendance import attendance_record
from apps.programs.services.lecture_terms import lecture_service_type

from .factories import scheduled_program
from .test_public_lectures import RATE, lecture, register


def _sliding_lecture(personas, title):
    return scheduled_program(
        actor=personas.front_desk,
        title=title,
        kind="lecture",
        service_type=lecture_service_type(),
        fee_mode="sliding",
        full_price=Decimal("20.00"),
        reduced_price=Decimal("5.00"),
    )


@pytest.mark.django_db
def test_a_registration_anyone_makes_with_a_linked_address_stays_off_that_chart_its_account_and_history(
    personas, login
):
    config_seed()
    earlier = _sliding_lecture(personas, "Pain is real — and reversible")
    later = _sliding_lecture(personas, "The mind-body connection")
    fee_schedule_set(
        actor=personas.billing, service_type=earlier.service_type, full_fee=Decimal("100.00"), effective_from=FEE_START
    )
    # Casey registered as a member of the public, then became a patient: the chart opened with the address takes
    # that registration as Casey's.
    before = register(earlier, name="Casey", email="casey@example.test", fee_tier="full")
    patient = patient_create(
        actor=personas.front_desk,
        legal_first_name="Casey",
        legal_last_name="Newcomer",
        date_of_birth=dt.date(1980, 1, 2),
        email="casey@example.test",
        primary_therapist=personas.therapist,
    )
    assessment = assessment_submit(
        actor=personas.billing, patient=patient, household_size=1, annual_income=Decimal("30000")
    )
    assessment_approve(actor=personas.billing, assessment=assessment)
    # Someone who knows the address registers it for another series on the public page.
    after = register(later, name="Someone Else", email="CASEY@example.test", fee_tier="full")
    assert after.registrant_id == before.registrant_id

    first_meetings = [selectors.program_meetings(program=p).first() for p in (earlier, later)]
    with time_machine.travel(first_meetings[0].appointment.start + dt.timedelta(minutes=30), tick=False):
        for meeting, enrollment in zip(first_meetings, (before, after), strict=True):
            attendance_record(actor=personas.therapist, meeting=meeting, enrollment=enrollment, status="attended")

    # Only Casey's own registration is charged on the chart's account; the other is paid at the door.
    assert [c.appointment_id for c in Charge.objects.filter(patient=patient)] == [first_meetings[0].appointment_id]
    for enrollment in (before, after):
        enrollment.refresh_from_db()
    assert (before.linked_to_chart, after.linked_to_chart) == (True, False)
    assert (before.billed_patient, after.billed_patient) == (patient, None)
    [row] = lecture_selectors.program_registrants(program=later)
    assert (row.attended, row.owed) == (1, Decimal("20.00"))
    # The chart lists Casey's registration only, and the later roster links to no chart.
    assert list(lecture_selectors.registrant_lecture_history(patient=patient)) == [before]
    chart = login(personas.therapist).get(f"/notes/patients/{patient.pk}/chart/").content.decode()
    assert "Pain is real — and reversible" in chart and "The mind-body connection" not in chart
    desk = login(personas.front_desk)
    assert f"/patients/{patient.pk}/" not in desk.get(f"/programs/{later.pk}/").content.decode()
    assert f"/patients/{patient.pk}/" in desk.get(f"/programs/{earlier.pk}/").content.decode()
    api = login(personas.front_desk, api=True)
    [listed] = api.get(f"/api/programs/{later.pk}/registrants/").json()
    assert listed["linked_patient"] is None
    assert api.get(f"/api/programs/{earlier.pk}/registrants/").json()[0]["linked_patient"] == patient.pk


@pytest.mark.django_db
@RATE
@pytest.mark.parametrize("seats_taken", [0, 1], ids=["seat", "waitlist"])
def test_registering_an_address_on_the_public_page_never_shows_the_name_the_clinic_holds_for_it(client, seats_taken):
    register(lecture(), name="Jordan Quietly", email="jordan@example.test")
    program = lecture(capacity=1)
    if seats_taken:
        register(program, name="Robin Visitor", email="robin@example.test")
    response = client.post(
        f"/lectures/{program.pk}/", {"name": "A Stranger", "email": "jordan@example.test", "consent": "on"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert ("You are on the waitlist" if seats_taken else "You are registered") in page
    assert "Jordan" not in page and "Quietly" not in page
