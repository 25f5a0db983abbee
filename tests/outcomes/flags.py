"""Helpers of the self-harm answer tests: a group member's PHQ-9 answered before the first meeting, and who was
told of it."""

import datetime as dt

import time_machine

from apps.notifications.models import Message
from apps.outcomes.models import QuestionnaireAssignment
from apps.outcomes.services import questionnaire_answer
from apps.programs.services.meetings import meeting_questionnaires_assign

SELF_HARM = [0] * 8 + [3]


def answer_before(member, first):
    with time_machine.travel(first.start - dt.timedelta(hours=40), tick=False):
        meeting_questionnaires_assign()
        assignment = QuestionnaireAssignment.objects.get(patient=member, instrument="phq9")
        return questionnaire_answer(actor=member.user, assignment=assignment, answers=SELF_HARM)


def told():
    return {m.recipient_user for m in Message.objects.filter(template="measure_flag")}
