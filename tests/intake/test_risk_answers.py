"""A risk answer in the intake questionnaire ("thoughts of harming yourself": sometimes or often) is flagged for the
patient's psychotherapists as a PHQ-9 item 9 answer is: an email with a link only, and "Needs review" on the chart
until one of them marks it reviewed."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps

from apps.intake import tasks as intake_tasks
from apps.intake.models import AnswerFlag, DocumentVersion, IntakeDocument
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from apps.patients.services import patient_update

from .conftest import QUESTIONNAIRE_ANSWERS, sign

pytestmark = pytest.mark.django_db

mark_risk_answers = import_module("apps.intake.migrations.0004_mark_self_harm_risk_answers").mark


@pytest.mark.parametrize("answer", ["sometimes", "often"])
def test_a_risk_answer_tells_the_psychotherapist_with_a_link_only(personas, sent, questionnaire, answer):
    signature, _ = sign(personas, questionnaire, answers={**QUESTIONNAIRE_ANSWERS, "emergency_plan": answer})

    flag = AnswerFlag.objects.get(signature=signature)
    assert (flag.patient, flag.questions, flag.reviewed_at) == (personas.patient, ["emergency_plan"], None)
    message = Message.objects.get(template="measure_flag")
    assert message.recipient_user == personas.therapist
    assert personas.therapist.has_perm("intake.review_flag", flag)
    rendered = message_render(template=message.template, context=message.context, channel="email")
    for text in (rendered.text, rendered.html, rendered.subject, str(message.context)):
        assert answer not in text.lower() and "harm" not in text.lower()
        assert "Back pain" not in text


def test_no_risk_answer_raises_nothing(personas, sent, questionnaire):
    sign(personas, questionnaire)
    assert not AnswerFlag.objects.exists()
    assert not Message.objects.filter(template="measure_flag").exists()


def test_the_chart_shows_it_until_the_psychotherapist_marks_it_reviewed(personas, login, sent, questionnaire):
    sign(personas, questionnaire, answers={**QUESTIONNAIRE_ANSWERS, "emergency_plan": "often"})
    flag = AnswerFlag.objects.get()
    therapist = login(personas.therapist)
    chart = f"/notes/patients/{personas.patient.pk}/chart/"
    page = therapist.get(chart).content.decode()
    assert "Needs review" in page and "Do you have thoughts of harming yourself?" in page

    assert login(personas.other_therapist).post(f"/intake/flags/{flag.pk}/review/").status_code == 404
    assert login(personas.front_desk).post(f"/intake/flags/{flag.pk}/review/").status_code == 404
    assert "Mark reviewed…" in page
    asked = therapist.post(f"/intake/flags/{flag.pk}/review/")
    assert asked.status_code == 200 and "Mark this risk answer reviewed?" in asked.content.decode()
    assert 'name="confirmed" value="yes"' in asked.content.decode()
    flag.refresh_from_db()
    assert flag.reviewed_at is None  # the first press only asks
    therapist.post(f"/intake/flags/{flag.pk}/review/", {"confirmed": "yes"})

    flag.refresh_from_db()
    assert (flag.reviewed_by, flag.reviewed_at is not None) == (personas.therapist, True)
    assert "Needs review" not in therapist.get(chart).content.decode()


def test_with_no_psychotherapist_the_front_desk_home_lists_the_patient(personas, login, sent, questionnaire):
    personas.patient.primary_therapist = None
    personas.patient.save(update_fields=["primary_therapist"])
    sign(personas, questionnaire, answers={**QUESTIONNAIRE_ANSWERS, "emergency_plan": "often"})

    assert not Message.objects.filter(template="measure_flag").exists()
    home = login(personas.front_desk).get("/").content.decode()
    assert "Answers waiting for a clinician" in home and personas.patient.display_name in home


def test_the_shipped_questionnaire_marks_sometimes_and_often(questionnaire):
    assert questionnaire.risk_answers == {"emergency_plan": ["sometimes", "often"]}


def test_marking_leaves_a_clinics_own_risk_answers_and_a_removed_question_alone(questionnaire):
    IntakeDocument.objects.filter(pk=questionnaire.pk).update(risk_answers={"stressors": ["x"]})
    mark_risk_answers(django_apps, None)
    assert IntakeDocument.objects.get(pk=questionnaire.pk).risk_answers == {"stressors": ["x"]}

    fields = [f for f in questionnaire.current_version.fields if f["key"] != "emergency_plan"]
    version = DocumentVersion.objects.create(
        document=questionnaire,
        number=2,
        body="Edited",
        fields=fields,
        body_sha256="0" * 64,
        published_at="2026-01-01T00:00Z",
    )
    IntakeDocument.objects.filter(pk=questionnaire.pk).update(current_version=version, risk_answers={})
    mark_risk_answers(django_apps, None)
    assert IntakeDocument.objects.get(pk=questionnaire.pk).risk_answers == {}


def test_a_psychotherapist_set_later_is_told_once_and_the_front_desk_card_clears(
    personas, login, sent, questionnaire, django_capture_on_commit_callbacks
):
    personas.patient.primary_therapist = None
    personas.patient.save(update_fields=["primary_therapist"])
    sign(personas, questionnaire, answers={**QUESTIONNAIRE_ANSWERS, "emergency_plan": "often"})

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            patient_update(actor=personas.front_desk, patient=personas.patient, primary_therapist=personas.therapist)
            patient_update(actor=personas.front_desk, patient=personas.patient, preferred_name="Patsy")

    message = Message.objects.get(template="measure_flag")
    assert message.recipient_user == personas.therapist
    assert set(message.context) == {"patient_initials", "chart_url"}
    assert personas.patient.display_name not in login(personas.front_desk).get("/").content.decode()


def test_a_notice_lost_after_the_commit_is_sent_by_the_sweep_once(personas, sent, questionnaire):
    personas.patient.primary_therapist = None
    personas.patient.save(update_fields=["primary_therapist"])
    sign(personas, questionnaire, answers={**QUESTIONNAIRE_ANSWERS, "emergency_plan": "often"})
    # The change commits; its after-commit notice never runs (the process died right after the commit).
    patient_update(actor=personas.front_desk, patient=personas.patient, primary_therapist=personas.therapist)
    assert not Message.objects.filter(template="measure_flag").exists()

    assert intake_tasks.open_answer_flags_sweep() == 1
    assert intake_tasks.open_answer_flags_sweep() == 0

    message = Message.objects.get(template="measure_flag")
    assert message.recipient_user == personas.therapist
    assert message.subject_type == "intake.answerflag"
    assert set(message.context) == {"patient_initials", "chart_url"}
