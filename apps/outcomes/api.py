"""Outcome measures API: the instruments, a patient's scored responses, and the questionnaires a
patient has to answer (answered with POST /api/questionnaire-assignments/{id}/answer/)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from apps.core.api_lookups import id_or_none
from apps.core.errors import NotFound
from apps.patients.models import Patient

from . import selectors, services
from .instruments import INSTRUMENTS
from .models import QuestionnaireAssignment, QuestionnaireResponse


class InstrumentOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    prompt = serializers.CharField()
    items = serializers.ListField(child=serializers.CharField())
    options = serializers.SerializerMethodField()
    bands = serializers.SerializerMethodField()
    max_score = serializers.IntegerField()
    optional_items = serializers.SerializerMethodField(help_text="1-based items that may be answered with null.")
    subscales = serializers.SerializerMethodField()

    def get_options(self, instrument) -> list[dict]:
        return [{"value": value, "label": label} for value, label in instrument.options]

    def get_optional_items(self, instrument) -> list[int]:
        return sorted(instrument.optional_items)

    def get_subscales(self, instrument) -> list[dict]:
        return [{"key": key, "label": label, "items": list(items)} for key, label, items in instrument.subscales]

    def get_bands(self, instrument) -> list[dict]:
        return [
            {"min": low, "max": high, "severity": key, "label": label} for low, high, key, label in instrument.bands
        ]


class MeasureViewSet(viewsets.ViewSet):
    """The questionnaires the clinic uses, with items and published severity bands."""

    lookup_field = "code"

    @extend_schema(responses=InstrumentOutput(many=True))
    def list(self, request):
        return Response(InstrumentOutput(list(INSTRUMENTS.values()), many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH, enum=[*INSTRUMENTS])],
        responses=InstrumentOutput,
    )
    def retrieve(self, request, code=None):
        if code not in INSTRUMENTS:
            raise NotFound("No such measure.")
        return Response(InstrumentOutput(INSTRUMENTS[code]).data)


class ResponseOutput(serializers.ModelSerializer):
    severity_label = serializers.SerializerMethodField()
    subscales = serializers.SerializerMethodField()

    class Meta:
        model = QuestionnaireResponse
        fields = [
            "id",
            "patient",
            "instrument",
            "answers",
            "score",
            "severity",
            "severity_label",
            "subscales",
            "flagged",
            "flag_reviewed_at",
            "submitted_at",
        ]

    def get_severity_label(self, response) -> str:
        return INSTRUMENTS[response.instrument].band_label(response.severity)

    def get_subscales(self, response) -> dict[str, int]:
        return INSTRUMENTS[response.instrument].subscale_scores(response.answers)


class MeasureResponseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Scored responses of one patient (?patient=), for their treating therapist or the patient."""

    serializer_class = ResponseOutput
    lookup_value_regex = r"\d+"
    error_statuses = {"list": {404}}  # a patient the user may not see, or none given by staff

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return QuestionnaireResponse.objects.none()
        patient_id = id_or_none(self.request.query_params.get("patient"))
        patient = Patient.objects.filter(pk=patient_id).first() if patient_id is not None else None
        if patient is None and self.request.user.is_patient:
            patient = getattr(self.request.user, "patient", None)
        instrument = self.request.query_params.get("instrument", "")
        return selectors.responses_read(user=self.request.user, patient=patient, instrument=instrument)

    @extend_schema(
        parameters=[OpenApiParameter("patient", int), OpenApiParameter("instrument", str, enum=sorted(INSTRUMENTS))]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=ResponseOutput)
    @action(detail=True, methods=["post"], url_path="review-flag")
    def review_flag(self, request, pk=None):
        response = selectors.flag_get_for(user=request.user, response_id=pk)  # NotFound (a refusal logged there)
        return Response(ResponseOutput(services.flag_review(actor=request.user, response=response)).data)


class AssignmentOutput(serializers.ModelSerializer):
    class Meta:
        model = QuestionnaireAssignment
        fields = ["id", "instrument", "appointment", "due_at", "expires_at", "status"]


class AnswerInput(serializers.Serializer):
    # null only where the instrument lets an item be left out (PHQ-15's menstrual item); scoring checks which.
    answers = serializers.ListField(child=serializers.IntegerField(allow_null=True), allow_empty=False)


class AssignmentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The signed-in patient's questionnaires waiting for answers."""

    serializer_class = AssignmentOutput
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return QuestionnaireAssignment.objects.none()
        patient = getattr(self.request.user, "patient", None)
        if patient is None or not self.request.user.is_patient:
            raise PermissionDenied("Only patients answer questionnaires.")
        return selectors.assignments_pending(patient=patient)

    @extend_schema(request=AnswerInput, responses={201: ResponseOutput})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        assignment = self.get_queryset().filter(pk=pk).first()
        if assignment is None:
            raise NotFound("No such questionnaire.")
        data = AnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        response = services.questionnaire_answer(
            actor=request.user, assignment=assignment, answers=data.validated_data["answers"]
        )
        return Response(ResponseOutput(response).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("measures", MeasureViewSet, basename="measure")
    router.register("measure-responses", MeasureResponseViewSet, basename="measure-response")
    router.register("questionnaire-assignments", AssignmentViewSet, basename="questionnaire-assignment")
