"""An administrator chooses, on the questionnaire's page, which answers raise a flag for the patient's
psychotherapists: ticked boxes per question with answers to choose from, in the questionnaire's own words. Only
answers the current version offers can be marked; the change applies to questionnaires signed from then on, and who
changed it is kept."""

import pytest

from apps.core.errors import Conflict, PermissionDenied, Unprocessable
from apps.intake.models import AnswerFlag, IntakeDocument
from apps.intake.services import document_publish, document_risk_answers_set

from .conftest import QUESTIONNAIRE_ANSWERS, sign

pytestmark = pytest.mark.django_db


def _page(questionnaire):
    return f"/intake/documents/{questionnaire.pk}/risk-answers/"


def test_the_page_shows_each_choice_question_with_its_marked_answers_ticked(personas, login, questionnaire):
    response = login(personas.admin).get(_page(questionnaire))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Do you have thoughts of harming yourself?" in page and "Where do you feel symptoms?" in page
    assert 'value="often" checked' in page.replace(' id="id_emergency_plan_2"', "")
    assert 'value="no" checked' not in page.replace(' id="id_emergency_plan_0"', "")
    assert "What brings you to the clinic?" not in page  # free text: nothing to tick


def test_the_document_page_names_the_answers_that_raise_a_flag_and_links_to_change_them(personas, login, questionnaire):
    page = login(personas.admin).get(f"/intake/documents/{questionnaire.pk}/").content.decode()
    assert "Answers that raise a flag" in page and "Sometimes, Often" in page
    assert _page(questionnaire) in page


def test_ticking_an_answer_makes_the_next_signed_questionnaire_flag_it(personas, login, sent, questionnaire):
    response = login(personas.admin).post(
        _page(questionnaire), {"emergency_plan": ["sometimes", "often"], "symptoms": ["head"]}
    )
    assert response.status_code == 302
    questionnaire.refresh_from_db()
    assert questionnaire.risk_answers == {"symptoms": ["head"], "emergency_plan": ["sometimes", "often"]}

    signature, _ = sign(personas, questionnaire, answers={**QUESTIONNAIRE_ANSWERS, "symptoms": ["back", "head"]})
    assert AnswerFlag.objects.get(signature=signature).questions == ["symptoms"]


def test_untick_every_answer_and_nothing_is_flagged_any_more(personas, login, sent, questionnaire):
    assert login(personas.admin).post(_page(questionnaire), {}).status_code == 302
    questionnaire.refresh_from_db()
    assert questionnaire.risk_answers == {}
    sign(personas, questionnaire, answers={**QUESTIONNAIRE_ANSWERS, "emergency_plan": "often"})
    assert not AnswerFlag.objects.exists()


def test_answers_already_signed_are_not_flagged_by_a_later_change(personas, sent, questionnaire):
    sign(personas, questionnaire, answers={**QUESTIONNAIRE_ANSWERS, "symptoms": ["head"]})
    document_risk_answers_set(
        actor=personas.admin, document=questionnaire, risk_answers={"symptoms": ["head"], "emergency_plan": ["often"]}
    )
    assert not AnswerFlag.objects.exists()


def test_an_answer_the_question_does_not_offer_is_refused_in_plain_words_and_nothing_changes(
    personas, login, questionnaire
):
    response = login(personas.admin).post(_page(questionnaire), {"emergency_plan": ["always"]})
    assert response.status_code == 422
    assert "Select a valid choice" not in response.content.decode()
    assert "“Do you have thoughts of harming yourself?”" in response.content.decode()
    questionnaire.refresh_from_db()
    assert questionnaire.risk_answers == {"emergency_plan": ["sometimes", "often"]}

    with pytest.raises(Unprocessable) as refused:
        document_risk_answers_set(actor=personas.admin, document=questionnaire, risk_answers={"reason": ["x"]})
    assert list(refused.value.fields) == ["reason"]


def test_saving_the_same_answers_says_nothing_changed(personas, login, questionnaire):
    response = login(personas.admin).post(_page(questionnaire), {"emergency_plan": ["often", "sometimes"]})
    assert response.status_code == 422 and "Nothing changed" in response.content.decode()


def test_a_question_a_new_version_dropped_is_shown_as_no_longer_asked_and_cleared_on_saving(
    personas, login, questionnaire
):
    fields = [f for f in questionnaire.current_version.fields if f["key"] != "emergency_plan"]
    document_publish(actor=personas.admin, document=questionnaire, body="New words.", fields=fields)
    admin = login(personas.admin)

    page = admin.get(_page(questionnaire)).content.decode()
    assert "no longer asked" in page and "Do you have thoughts of harming yourself?: Sometimes, Often" in page
    assert "emergency_plan" not in page.replace('name="emergency_plan"', "")
    assert "no longer asked" in admin.get(f"/intake/documents/{questionnaire.pk}/").content.decode()

    assert admin.post(_page(questionnaire), {"symptoms": ["back"]}).status_code == 302
    questionnaire.refresh_from_db()
    assert questionnaire.risk_answers == {"symptoms": ["back"]}


def test_who_changed_the_answers_and_when_is_kept(personas, login, questionnaire):
    login(personas.admin).post(_page(questionnaire), {"emergency_plan": ["often"]})
    event = questionnaire.events.order_by("-pgh_id").first()
    assert event.risk_answers == {"emergency_plan": ["often"]}
    assert event.pgh_context.metadata.get("user") == personas.admin.pk


def test_only_the_questionnaire_has_answers_that_raise_a_flag(personas, login, consent):
    assert login(personas.admin).get(f"/intake/documents/{consent.pk}/risk-answers/").status_code == 404
    with pytest.raises(Conflict):
        document_risk_answers_set(actor=personas.admin, document=consent, risk_answers={})


@pytest.mark.parametrize("persona", ["front_desk", "therapist", "billing", "patient_user"])
def test_only_admins_change_which_answers_raise_a_flag(personas, login, questionnaire, persona):
    client = login(getattr(personas, persona))
    assert client.get(_page(questionnaire)).status_code == 403
    assert client.post(_page(questionnaire), {}).status_code == 403
    with pytest.raises(PermissionDenied):
        document_risk_answers_set(actor=getattr(personas, persona), document=questionnaire, risk_answers={})
    assert IntakeDocument.objects.get(pk=questionnaire.pk).risk_answers == {"emergency_plan": ["sometimes", "often"]}


def test_signed_out_visitors_are_sent_to_sign_in(client, questionnaire):
    response = client.get(_page(questionnaire))
    assert response.status_code == 302 and "/login" in response["Location"]
