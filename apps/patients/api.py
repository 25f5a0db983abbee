from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.api_lookups import object_id

from . import selectors, services
from .models import DEMOGRAPHIC_FIELDS, DESK_CONSENT_METHODS, Patient, SmsConsentMethod


class PatientOutput(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)
    choice_label = serializers.CharField(
        read_only=True, help_text="Name, date of birth and chart number: how to list the patient for choosing."
    )

    class Meta:
        model = Patient
        fields = [
            "id",
            "chart_number",
            "display_name",
            "choice_label",
            *DEMOGRAPHIC_FIELDS,
            "reminder_sms",
            "sms_consent_at",
            "sms_consent_method",
            "sms_opted_out_at",
            "status",
            "discharged_on",
        ]


class PatientInput(serializers.ModelSerializer):
    # Any therapist, so a chart naming one who has since left still takes an unrelated edit; the service refuses a
    # deactivated therapist only when the chart would newly name them.
    primary_therapist = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(groups__name=Role.THERAPIST), required=False, allow_null=True
    )

    class Meta:
        model = Patient
        fields = DEMOGRAPHIC_FIELDS


class PatientUpdateInput(PatientInput):
    confirm_duplicate = serializers.BooleanField(
        default=False,
        help_text="Save a legal name and date of birth, or an email, even though they match another chart's. "
        "Without it such a change answers 409 with the matching charts' ids in `duplicate_ids`.",
    )

    class Meta(PatientInput.Meta):
        fields = [*DEMOGRAPHIC_FIELDS, "confirm_duplicate"]


class PatientCreateInput(PatientInput):
    confirm_duplicate = serializers.BooleanField(
        default=False,
        help_text="Create the chart even though it matches an existing one (same legal name and date of birth, or "
        "same email). Without it such a request answers 409 with the matching charts' ids in `duplicate_ids`.",
    )

    class Meta(PatientInput.Meta):
        fields = [*DEMOGRAPHIC_FIELDS, "confirm_duplicate"]


class SmsConsentInput(serializers.Serializer):
    consent = serializers.BooleanField(help_text="true records consent to texts; false records its withdrawal.")
    how = serializers.ChoiceField(
        choices=[(m.value, m.label) for m in map(SmsConsentMethod, DESK_CONSENT_METHODS)],
        help_text="How the patient told the clinic at the desk.",
    )
    text_reminders = serializers.BooleanField(
        default=True, help_text="With consent: also send text reminders before sessions."
    )


class PatientFilter(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=200)


class PatientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Patient charts (demographics). Every retrieve is access-logged; unseen charts answer 404."""

    serializer_class = PatientOutput

    def get_queryset(self):
        filters = PatientFilter(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.patient_search(user=self.request.user, query=filters.validated_data.get("search", ""))

    def get_serializer_class(self):
        if self.action == "create":
            return PatientCreateInput
        return PatientUpdateInput if self.action in {"update", "partial_update"} else PatientOutput

    @extend_schema(parameters=[OpenApiParameter("search", str, description="Name, email, phone, chart number or DOB")])
    def list(self, request, *args, **kwargs):
        if not request.user.has_perm("patients.list_patients"):
            raise PermissionDenied
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        patient = selectors.patient_open_chart(user=request.user, patient_id=object_id(pk, message="No such patient."))
        return Response(PatientOutput(patient).data)

    @extend_schema(request=PatientCreateInput, responses={201: PatientOutput})
    def create(self, request):
        """A new chart. One that may duplicate an existing chart answers 409 (`possible_duplicate`) with their ids in
        `duplicate_ids`, unless `confirm_duplicate` is true. A phone that is not a phone number, or a birth date in
        the future or before 1900, answers 422 naming the field."""
        if not request.user.has_perm("patients.add_patient"):
            raise PermissionDenied
        data = PatientCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient = services.patient_create(actor=request.user, **data.validated_data)
        return Response(PatientOutput(patient).data, status=201)

    @extend_schema(request=PatientUpdateInput, responses=PatientOutput)
    def update(self, request, pk=None, partial=False):
        """Change the chart. A legal name and date of birth, or an email, changed to another chart's answers 409
        (`possible_duplicate`) with their ids in `duplicate_ids` (among the charts the caller may open), unless
        `confirm_duplicate` is true."""
        patient = selectors.patient_open_chart(user=request.user, patient_id=object_id(pk, message="No such patient."))
        if not request.user.has_perm("patients.change_patient", patient):
            raise PermissionDenied
        data = PatientUpdateInput(patient, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        patient = services.patient_update(actor=request.user, patient=patient, **data.validated_data)
        return Response(PatientOutput(patient).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(request=None, responses=PatientOutput)
    @action(detail=True, methods=["post"])
    def discharge(self, request, pk=None):
        """End the patient's care: nothing can be booked for them until they are reactivated. 409 while sessions are
        still booked for them (the message says how many), or when they are discharged already."""
        return self._status_change(request, pk, services.patient_discharge)

    @extend_schema(request=None, responses=PatientOutput)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        """Take a discharged patient back; 409 when they are active."""
        return self._status_change(request, pk, services.patient_reactivate)

    @extend_schema(request=SmsConsentInput, responses=PatientOutput)
    @action(detail=True, methods=["post"], url_path="sms-consent")
    def sms_consent(self, request, pk=None):
        """Record consent to texts the patient gave at the desk (`how`: verbal or written), or its withdrawal, as the
        chart's page does; front desk and admins only. A patient who replied STOP is texted again only after such a
        consent. 409 when consent is on record already (or, to withdraw, is not); 422 when the chart has no mobile
        number."""
        patient = selectors.patient_open_chart(user=request.user, patient_id=object_id(pk, message="No such patient."))
        if not request.user.has_perm("patients.record_sms_consent", patient):
            raise PermissionDenied
        data = SmsConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient = services.patient_sms_consent_record(actor=request.user, patient=patient, **data.validated_data)
        return Response(PatientOutput(patient).data)

    def _status_change(self, request, pk, service):
        patient = selectors.patient_open_chart(user=request.user, patient_id=object_id(pk, message="No such patient."))
        if not request.user.has_perm("patients.discharge_patient", patient):
            raise PermissionDenied
        return Response(PatientOutput(service(actor=request.user, patient=patient)).data)


def register(router) -> None:
    router.register("patients", PatientViewSet, basename="patient")
