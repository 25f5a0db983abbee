"""The patient's fees as the portal states them: one list on every page that shows it, and a group program's cost
per meeting attended, priced as its attendance is charged."""

import html
import re

import pytest

from apps.billing import pricing
from apps.programs.models import Enrollment
from apps.programs.selectors import program_meetings
from apps.programs.services.seats import enrollment_withdraw, program_enroll
from tests.programs.factories import scheduled_program

from .helpers import approved_assessment

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    """The page as read: tags dropped, entities decoded, whitespace collapsed."""
    assert response.status_code == 200
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _fee_lines(text: str, names) -> dict[str, tuple[str, str | None]]:
    """Each service's fee (and full fee, when it differs) as the page states it."""
    lines = {}
    for name in names:
        found = re.search(re.escape(name) + r":? (\$[\d,]+\.\d\d)\.?(?: \(full fee (\$[\d,]+\.\d\d)\))?", text)
        if found:
            lines[name] = found.groups()
    return lines


def test_the_home_card_the_sessions_page_and_billing_list_the_same_fees(personas, login, fee_config):
    approved_assessment(personas.patient, household_size=3, income="34150")
    card = pricing.patient_fee_card(patient=personas.patient)
    names = [row["service"].name for row in card["services"]]
    assert "Group psychotherapy" in names
    client = login(personas.patient_user)

    pages = {
        path: _fee_lines(_text(client.get(path)), names)
        for path in ("/portal/billing/", "/portal/", "/portal/sessions/")
    }

    assert pages["/portal/billing/"]["Group psychotherapy"] == ("$20.00", "$60.00")
    assert pages["/portal/"] == pages["/portal/billing/"]
    assert pages["/portal/sessions/"] == pages["/portal/billing/"]
    assert set(pages["/portal/billing/"]) == set(names)


@pytest.fixture
def group_program(personas, fee_config):
    """A ten-meeting group, its meetings real group appointments, priced by the demo clinic's fees."""
    return scheduled_program(actor=personas.admin, capacity=1, meeting_count=10)


@pytest.fixture
def offer_path(personas, group_program, make_patients):
    """The personas' patient is offered the group's one seat; the path of the emailed accept link."""
    from apps.notifications.models import Message

    [member] = make_patients(1)
    program_enroll(actor=member.user, program=group_program, patient=member)
    program_enroll(actor=personas.patient_user, program=group_program, patient=personas.patient)
    enrollment_withdraw(actor=member.user, enrollment=Enrollment.objects.get(patient=member))
    link = Message.objects.get(template="seat_offer", patient=personas.patient, channel="email").context["accept_url"]
    return link.split("localhost:8000", 1)[-1]


def _attendance_fee(patient, program):
    meeting = program_meetings(program=program)[0].appointment
    return pricing.session_outcome_price(patient=patient, appointment=meeting, policy_fee=False)


def test_a_program_states_the_patients_fee_a_meeting_and_the_most_its_meetings_cost(
    personas, login, group_program, offer_path
):
    approved_assessment(personas.patient, household_size=3, income="34150")
    assert _attendance_fee(personas.patient, group_program).fee == 20
    said = "$20.00 a meeting attended, at your sliding-scale fee (full fee $60.00); 10 meetings: up to $200.00"
    client = login(personas.patient_user)

    assert said in _text(client.get(f"/portal/programs/{group_program.pk}/"))
    assert said in _text(client.get(offer_path))


def test_a_patient_without_a_sliding_scale_fee_sees_the_full_fee_and_where_to_apply(
    personas, login, group_program, offer_path
):
    assert _attendance_fee(personas.patient, group_program).fee == 60
    client = login(personas.patient_user)

    for path in (f"/portal/programs/{group_program.pk}/", offer_path):
        response = client.get(path)
        assert "$60.00 a meeting attended, the full fee; 10 meetings: up to $600.00" in _text(response)
        assert 'href="/portal/billing/apply/"' in response.content.decode()
