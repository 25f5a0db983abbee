"""The Django admin lists questionnaires and responses without their clinical content and changes nothing."""

import pytest

from apps.outcomes import services
from apps.outcomes.models import QuestionnaireAssignment, QuestionnaireResponse

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged_response(personas, tomorrow_session):
    services.questionnaires_send_for_appointment(appointment=tomorrow_session)
    assignment = QuestionnaireAssignment.objects.get(instrument="phq9")
    return services.questionnaire_answer(
        actor=personas.patient.user, assignment=assignment, answers=[1, 1, 1, 1, 1, 1, 1, 1, 2]
    )


def test_the_admin_shows_no_answers_score_or_flag(superuser_admin, flagged_response):
    listing = superuser_admin.get("/admin/outcomes/questionnaireresponse/").content.decode()
    page = superuser_admin.get(f"/admin/outcomes/questionnaireresponse/{flagged_response.pk}/change/")
    assert page.status_code == 200
    for content in (listing, page.content.decode()):
        assert "[1, 1, 1, 1, 1, 1, 1, 1, 2]" not in content
        assert "Moderate" not in content
        assert "flagged" not in content.lower()
        assert "Flag reviewed" not in content


def test_the_admin_cannot_delete_a_response_or_its_open_flag(superuser_admin, flagged_response):
    url = f"/admin/outcomes/questionnaireresponse/{flagged_response.pk}/delete/"
    assert superuser_admin.post(url, {"post": "yes"}).status_code == 403
    assert QuestionnaireResponse.objects.filter(pk=flagged_response.pk, flagged=True).exists()


def test_the_admin_cannot_change_an_assignment(superuser_admin, flagged_response):
    assignment = flagged_response.assignment
    url = f"/admin/outcomes/questionnaireassignment/{assignment.pk}/change/"
    superuser_admin.post(url, {"status": "pending", "due_at_0": "2030-01-01", "due_at_1": "10:00"})
    assignment.refresh_from_db()
    assert assignment.status == "completed"
    assert 'name="status"' not in superuser_admin.get(url).content.decode()
