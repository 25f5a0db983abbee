"""A patient's care level: GET /api/patients/<id>/care-level/ answers the level, what comes next and the history of
moves; POST moves the patient to another level with a reason.

404 for a patient the caller may not see, 403 for one they see but may not move (a patient, their own), 400 for a
missing reason or an unknown level, 409 for a move to the level the patient is already at.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .models import CareLevel


class CareLevelMoveOutput(serializers.Serializer):
    id = serializers.IntegerField()
    from_level = serializers.CharField(help_text="Empty for the first placement.")
    to_level = serializers.CharField()
    moved_by = serializers.CharField(source="moved_by.full_name", allow_null=True, default=None)
    moved_at = serializers.DateTimeField()
    reason = serializers.CharField(
        allow_null=True,
        help_text="For the front desk, admins and the patient's psychotherapists; null for anyone else (the patient, "
        "a massage and bodywork provider).",
    )


class NextStepOutput(serializers.Serializer):
    next_level = serializers.CharField(help_text="Empty at the top of the ladder.")
    next_level_label = serializers.CharField()
    step = serializers.CharField(help_text="The concrete next step for this patient, in plain words, said to them.")
    step_on_chart = serializers.CharField(help_text="The same step as staff read it on the chart, about the patient.")
    step_url = serializers.CharField(help_text="The portal page for the step; empty when it is a conversation.")


class CareLevelOutput(serializers.Serializer):
    patient = serializers.IntegerField()
    level = serializers.CharField(help_text="Empty when the patient is not placed yet.")
    level_label = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    next = NextStepOutput()
    history = CareLevelMoveOutput(many=True)


class CareLevelMoveInput(serializers.Serializer):
    level = serializers.ChoiceField(choices=CareLevel.choices)
    reason = serializers.CharField(max_length=services.REASON_MAX_LENGTH)


def _answer(user, patient) -> dict:
    ladder = selectors.care_level_history(user=user, patient=patient)
    step = selectors.next_step(patient=patient, ladder=ladder)
    return {
        "patient": patient.pk,
        "level": step.level,
        "level_label": step.level_label,
        "since": step.since,
        "next": step,
        "history": ladder.moves,
    }


class CareLevelView(APIView):
    error_statuses = {"get": {404}, "post": {403, 404, 409}}

    @extend_schema(responses={200: CareLevelOutput})
    def get(self, request, patient_id):
        patient = selectors.patient_for_ladder(user=request.user, patient_id=patient_id)
        return Response(CareLevelOutput(_answer(request.user, patient)).data)

    @extend_schema(request=CareLevelMoveInput, responses={201: CareLevelOutput})
    def post(self, request, patient_id):
        patient = selectors.patient_to_move(user=request.user, patient_id=patient_id)  # a refusal logged there
        data = CareLevelMoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.care_level_set(patient=patient, actor=request.user, **data.validated_data)
        return Response(CareLevelOutput(_answer(request.user, patient)).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """A plain view, no router routes: see urlpatterns."""


urlpatterns = [path("patients/<int:patient_id>/care-level/", CareLevelView.as_view(), name="patient-care-level")]
