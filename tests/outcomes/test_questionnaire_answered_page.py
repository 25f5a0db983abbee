"""A questionnaire's link opened after it was answered (from the email, Back) shows when the answers were sent, in
the portal's layout, never a 404; someone else's stays not found. A half-answered one says so at the top."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.core import clock
from apps.core.when import clock_text
from apps.outcomes.models import QuestionnaireAssignment, QuestionnaireResponse
from apps.outcomes.services import questionnaire_answer, questionnaires_send_for_appointment

pytestmark = pytest.mark.django_db


def _on_clinic_clock(moment: dt.datetime) -> str:
    local = timezone.localtime(moment, clock.clinic_tz())
    return f"{local.strftime('%b %-d, %Y')} at {clock_text(local)} New York time"


@pytest.fixture
def phq9(personas, tomorrow_session):
    questionnaires_send_for_appointment(appointment=tomorrow_session)
    return QuestionnaireAssignment.objects.get(patient=personas.patient, instrument="phq9")


def test_an_answered_questionnaire_says_when_the_answers_were_sent(personas, login, phq9):
    response = questionnaire_answer(actor=personas.patient_user, assignment=phq9, answers=[1] * 9)

    page = login(personas.patient_user).get(f"/portal/questionnaires/{phq9.pk}/")

    body = page.content.decode()
    assert page.status_code == 200
    assert f"You sent these answers on {_on_clinic_clock(response.submitted_at)}." in body
    assert 'href="/portal/questionnaires/"' in body and 'name="item_1"' not in body
    assert response.get_severity_display() not in body and "score" not in body.lower()  # the portal shows no scores


def test_answering_again_shows_the_answers_sent_and_keeps_them(personas, login, phq9):
    questionnaire_answer(actor=personas.patient_user, assignment=phq9, answers=[1] * 9)

    again = login(personas.patient_user).post(
        f"/portal/questionnaires/{phq9.pk}/", {f"item_{i}": "3" for i in range(1, 10)}
    )

    assert again.status_code == 409 and "You had already sent these answers on" in again.content.decode()
    assert QuestionnaireResponse.objects.get().answers == [1] * 9


def test_another_patients_answered_questionnaire_is_not_found(personas, login, phq9):
    questionnaire_answer(actor=personas.patient_user, assignment=phq9, answers=[1] * 9)

    assert login(personas.other_patient_user).get(f"/portal/questionnaires/{phq9.pk}/").status_code == 404


def test_a_half_answered_questionnaire_says_so_at_the_top_with_a_link_to_the_first_question_left(personas, login, phq9):
    half = {f"item_{i}": "1" for i in range(1, 10) if i not in (4, 7)}

    response = login(personas.patient_user).post(f"/portal/questionnaires/{phq9.pk}/", half)

    body = response.content.decode()
    assert response.status_code == 422
    summary = body.index("Some answers need attention")
    assert summary < body.index('name="item_1"')  # above the questions, where the reloaded page opens
    assert 'href="#id_item_4_0"' in body[summary:]
    assert 'id="id_item_4_0"' in body
    assert not QuestionnaireResponse.objects.exists()
