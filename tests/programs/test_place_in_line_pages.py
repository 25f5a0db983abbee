"""Where a patient stands in a program's line, told alike on every page: the interest list of a proposed program,
the waitlist of a program with places; to the patient on the portal, about them on the chart."""

import pytest
from django.utils.html import strip_tags

from apps.programs.place_in_line import place_in_line
from apps.programs.services.formation import interest_register
from apps.programs.services.seats import program_enroll

from .factories import scheduled_program
from .formation_helpers import proposed_program

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    assert response.status_code == 200
    return " ".join(strip_tags(response.content.decode()).split())


@pytest.fixture
def waiting_twice(personas):
    """The patient is first on a proposed program's interest list and first on a full program's waitlist."""
    proposed = proposed_program(actor=personas.front_desk, title="Spring cohort")
    full = scheduled_program(actor=personas.admin, capacity=1, title="Evening group")
    program_enroll(actor=personas.front_desk, program=full, patient=personas.other_patient)
    interest_register(program=proposed, patient=personas.patient, actor=personas.patient_user)
    assert program_enroll(actor=personas.front_desk, program=full, patient=personas.patient).status == "waitlisted"
    return proposed, full


def test_the_rule_puts_a_proposed_programs_line_on_its_interest_list(personas, waiting_twice):
    proposed, full = waiting_twice
    interest, waiting = (personas.patient.program_enrollments.get(program=p) for p in (proposed, full))

    assert place_in_line(interest).list_name == "interest list"
    assert place_in_line(waiting).list_name == "waitlist"
    assert (
        place_in_line(personas.other_patient.program_enrollments.get(program=full)) is None
    )  # a seat, not a place in line


def test_the_portal_home_and_programs_page_agree_on_the_patients_place(personas, login, waiting_twice):
    client = login(personas.patient_user)

    home = _text(client.get("/portal/"))
    programs = _text(client.get("/portal/programs/"))

    assert "Spring cohort: you are #1 on the interest list" in home
    assert "Evening group: you are #1 on the waitlist" in home
    assert "Spring cohort Interest list You are #1 on the interest list" in programs
    assert "Evening group Waitlist You are #1 on the waitlist" in programs


def test_the_chart_tells_staff_the_same_place_about_the_patient(personas, login, waiting_twice):
    chart = _text(login(personas.front_desk).get(f"/patients/{personas.patient.pk}/"))

    assert "Spring cohort: #1 on the interest list" in chart
    assert "Evening group: #1 on the waitlist" in chart
    assert "you are #1" not in chart.lower()
