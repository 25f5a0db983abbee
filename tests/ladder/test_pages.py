"""The care level card on the chart pages, the move form, and the portal's "Where you are"."""

import pytest

from apps.ladder.models import CareLevel, PatientCareLevel
from apps.ladder.selectors import next_step
from apps.ladder.services import care_level_set
from apps.programs.services.seats import program_enroll
from tests.programs.factories import scheduled_program

pytestmark = pytest.mark.django_db


def test_the_front_desk_sees_the_card_and_moves_the_patient_from_the_patient_page(personas, login):
    client = login(personas.front_desk)
    page = client.get(f"/patients/{personas.patient.pk}/")
    assert "Care level" in page.content.decode()
    assert "Not placed yet" in page.content.decode()

    response = client.post(
        f"/ladder/patients/{personas.patient.pk}/move/",
        {"level": "education", "reason": "Start with the book", "next": f"/patients/{personas.patient.pk}/"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/patients/{personas.patient.pk}/"
    assert PatientCareLevel.objects.get(patient=personas.patient).level == CareLevel.EDUCATION


def test_the_therapist_sees_level_history_and_reasons_on_the_clinical_chart(personas, login):
    care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason="Ready for group", actor=personas.therapist)

    page = login(personas.therapist).get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()

    assert "Group program" in page
    assert "Ready for group" in page
    assert 'action="/ladder/patients/' in page


@pytest.mark.parametrize("level", ["", CareLevel.LECTURE_SERIES, CareLevel.MAINTENANCE])
def test_the_chart_speaks_of_the_patient_not_to_them(personas, login, level):
    if level:
        care_level_set(patient=personas.patient, level=level, reason="x", actor=personas.therapist)
    step = next_step(patient=personas.patient)
    for page in (
        login(personas.front_desk).get(f"/patients/{personas.patient.pk}/").content.decode(),
        login(personas.therapist).get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode(),
    ):
        assert f"<dt>Next step</dt><dd>{step.step_on_chart}</dd>" in page
        assert step.step not in page and "your therapist" not in page.lower()


def test_a_waitlist_place_reads_about_the_patient_on_the_chart_and_to_them_in_the_portal(
    personas, login, make_patients
):
    program = scheduled_program(actor=personas.admin, capacity=1, title="Evening group")
    program_enroll(actor=personas.front_desk, program=program, patient=make_patients(1)[0])
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)

    chart = login(personas.front_desk).get(f"/patients/{personas.patient.pk}/").content.decode()
    portal = login(personas.patient_user).get("/portal/care/").content.decode()

    assert "Number 1 on the waitlist for Evening group: offered a seat as one opens." in chart
    assert "You are number 1 on the list for Evening group; we will offer you a seat as one opens." in portal
    assert "You are number" not in chart


def test_billing_sees_no_care_level_card(personas, login):
    care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason="Ready for group", actor=personas.therapist)

    page = login(personas.billing).get(f"/patients/{personas.patient.pk}/").content.decode()

    assert "Care level" not in page
    assert "Ready for group" not in page


@pytest.mark.parametrize("posted", [{"level": "education", "reason": ""}, {}], ids=["no-reason", "nothing"])
def test_a_move_without_a_reason_shows_the_form_again_with_the_error(personas, login, posted):
    response = login(personas.therapist).post(f"/ladder/patients/{personas.patient.pk}/move/", posted)

    assert response.status_code == 422
    assert 'id="error-summary"' in response.content.decode()
    assert "This field is required." in response.content.decode()
    assert not PatientCareLevel.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("other_therapist", 404), ("billing", 404), ("patient_user", 403)])
def test_the_move_form_is_refused_to_people_who_may_not_move_the_patient(personas, login, who, status):
    response = login(getattr(personas, who)).post(
        f"/ladder/patients/{personas.patient.pk}/move/", {"level": "education", "reason": "x"}
    )
    assert response.status_code == status
    assert not PatientCareLevel.objects.exists()


def test_the_portal_shows_where_the_patient_is_and_what_comes_next(personas, login):
    care_level_set(patient=personas.patient, level=CareLevel.LECTURE_SERIES, reason="Secret", actor=personas.therapist)
    client = login(personas.patient_user)

    home = client.get("/portal/").content.decode()
    page = client.get("/portal/care/").content.decode()

    assert "Where you are and what comes next" in home
    assert "Lecture series" in home
    assert "Talk to your therapist about moving on to group program." in page
    assert "Secret" not in page


def test_the_portal_page_is_the_patients_own_only(personas, login):
    assert login(personas.therapist).get("/portal/care/").status_code == 403


def test_the_portal_names_the_last_rung_in_the_patients_words_with_a_button_that_goes_where_it_says(
    personas, login, make_patients
):
    care_level_set(patient=personas.patient, level=CareLevel.INDIVIDUAL, reason="Weekly", actor=personas.therapist)
    program = scheduled_program(actor=personas.admin, capacity=1, title="Evening group")
    program_enroll(actor=personas.front_desk, program=program, patient=make_patients(1)[0])
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    client = login(personas.patient_user)

    home = client.get("/portal/").content.decode()
    page = client.get("/portal/care/").content.decode()
    chart = login(personas.therapist).get(f"/patients/{personas.patient.pk}/").content.decode()

    ready = "When you and your therapist agree you&#x27;re ready: less frequent check-in sessions."
    for portal in (home, page):
        assert "Maintenance or discharged" not in portal
        assert "Individual therapy" not in portal
        assert ready in portal
    assert "Go there" not in page
    assert 'href="/portal/programs/">See your programs</a>' in page
    assert "Maintenance or discharged" in chart
