"""Referrals API.

/api/referrals/inbound/ — the referral desk (front desk, admins) lists waiting referrals (or all, or one
patient's) and logs new ones (multipart, with the clearance file when it came along); each referral moves through
review/, accept/, decline/ and takes a clearance/ file. /api/referrals/outbound/ — a treating psychotherapist drafts a
referral out and sends it under the patient's release in force; the desk and the psychotherapist track it to
acknowledged/ and close/.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from apps.core.api_lookups import id_or_none
from apps.core.api_parsers import JSONParser
from apps.core.errors import NotFound, PermissionDenied
from apps.patients.selectors import patient_get_for, patients_visible_to

from . import selectors, services
from .models import (
    INBOUND_ENTRY_FIELDS,
    OUTBOUND_RECIPIENT_FIELDS,
    WAITING_STATUSES,
    InboundReferral,
    InboundStatus,
    OutboundReferral,
    RecipientKind,
)


class InboundOutput(serializers.ModelSerializer):
    reason = serializers.SerializerMethodField()
    clearance = serializers.SerializerMethodField(help_text="missing or received")

    class Meta:
        model = InboundReferral
        fields = ["id", *INBOUND_ENTRY_FIELDS, "status", "clearance", "reason", "decided_at"]

    def get_reason(self, referral) -> str:
        return selectors.referral_reason(referral)

    def get_clearance(self, referral) -> str:
        on_file = getattr(referral, "has_clearance", None)
        if on_file is None:
            on_file = referral.clearances.exists()
        return "received" if on_file else "missing"


class InboundInput(serializers.Serializer):
    patient = serializers.IntegerField(required=False, allow_null=True)
    prospect_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    prospect_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    prospect_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    provider_name = serializers.CharField(max_length=200)
    provider_practice = serializers.CharField(max_length=200, required=False, allow_blank=True)
    provider_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    provider_fax = serializers.CharField(max_length=30, required=False, allow_blank=True)
    provider_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=4000)
    received_on = serializers.DateField()
    clearance = serializers.FileField(required=False, help_text="The medical clearance: PDF, PNG or JPEG.")
    cleared_by = serializers.CharField(max_length=200, required=False, allow_blank=True)


class AcceptInput(serializers.Serializer):
    patient = serializers.IntegerField(required=False, allow_null=True, help_text="Required for a prospective patient.")


class DeclineInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ClearanceInput(serializers.Serializer):
    file = serializers.FileField()
    cleared_by = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ClearanceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    cleared_by = serializers.CharField()
    recorded_at = serializers.DateTimeField()


def _patient(user, patient_id):
    patient = patients_visible_to(user=user).filter(pk=patient_id).first() if patient_id is not None else None
    if patient is None:
        raise NotFound("No such patient.")
    return patient


def _listed_patient(request, perm: str, action: str):
    """The patient a list is narrowed to (?patient=), when the user holds `perm` on them (else 404, as if there
    were no such patient, the refusal logged under `action`); None for the referral desk's queue, which only the
    desk may read."""
    patient_id = id_or_none(request.query_params.get("patient"))
    if patient_id is None:
        if not request.user.has_perm("referrals.view_queue"):
            raise PermissionDenied("The referral queue is the front desk's.")
        return None
    return patient_get_for(user=request.user, patient_id=patient_id, perm=perm, action=action)


class _ReferralViewSet(viewsets.GenericViewSet):
    """What both directions share: opening one referral the user may see, and answering with pages of them that
    the access log records as read."""

    lookup_value_regex = r"\d+"
    open_referral = None  # the selector that opens one referral for the user, or says there is none
    read_action = ""  # the access log's name for reading a page of them

    def get_queryset(self):
        return self.serializer_class.Meta.model.objects.none()

    def _referral(self, pk):
        return self.open_referral(user=self.request.user, referral_id=pk)

    def _answer(self, referral, code=status.HTTP_200_OK) -> Response:
        return Response(self.serializer_class(referral).data, status=code)

    def _page(self, rows) -> Response:
        page = self.paginate_queryset(rows)
        selectors.referrals_read(user=self.request.user, action=self.read_action, referrals=page)
        return self.get_paginated_response(self.serializer_class(page, many=True).data)

    def retrieve(self, request, pk=None):
        return self._answer(self._referral(pk))


class InboundViewSet(_ReferralViewSet):
    """Inbound referrals, for the referral desk; a treating psychotherapist reads their patient's with ?patient=."""

    serializer_class = InboundOutput
    open_referral = staticmethod(selectors.inbound_open)
    read_action = "referral_inbound_view"
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    error_statuses = {"create": {404}, "accept": {404}, "list": {404}}

    @extend_schema(
        parameters=[
            OpenApiParameter("patient", int, description="One patient's referrals, any status."),
            OpenApiParameter("status", str, enum=InboundStatus.values, description="Default: waiting ones."),
        ]
    )
    def list(self, request):
        patient = _listed_patient(request, "referrals.read_referrals", self.read_action)
        if patient is not None:
            rows = selectors.patient_inbound(patient=patient)
        else:
            wanted = request.query_params.get("status")
            if wanted and wanted not in InboundStatus.values:
                raise serializers.ValidationError({"status": [f"One of {', '.join(InboundStatus.values)}."]})
            rows = selectors.inbound_with_status(statuses=[wanted] if wanted else list(WAITING_STATUSES))
        return self._page(rows)

    @extend_schema(request=InboundInput, responses={201: InboundOutput})
    def create(self, request):
        if not request.user.has_perm("referrals.receive_inbound"):
            raise PermissionDenied("Only the front desk or an administrator logs referrals.")
        data = InboundInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        patient_id = values.pop("patient", None)
        values["patient"] = _patient(request.user, patient_id) if patient_id is not None else None
        referral = services.inbound_receive(actor=request.user, **values)
        return self._answer(referral, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InboundOutput)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        return self._answer(services.inbound_review_start(actor=request.user, referral=self._referral(pk)))

    @extend_schema(request=AcceptInput, responses=InboundOutput)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        referral = self._referral(pk)
        data = AcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient_id = data.validated_data.get("patient")
        patient = _patient(request.user, patient_id) if patient_id is not None else None
        return self._answer(services.inbound_accept(actor=request.user, referral=referral, patient=patient))

    @extend_schema(request=DeclineInput, responses=InboundOutput)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        referral = self._referral(pk)
        data = DeclineInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.inbound_decline(actor=request.user, referral=referral, reason=data.validated_data["reason"])
        )

    @extend_schema(request=ClearanceInput, responses={201: ClearanceOutput})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def clearance(self, request, pk=None):
        referral = self._referral(pk)
        data = ClearanceInput(data=request.data)
        data.is_valid(raise_exception=True)
        clearance = services.clearance_record(
            actor=request.user,
            upload=data.validated_data["file"],
            referral=referral,
            cleared_by=data.validated_data.get("cleared_by", ""),
        )
        return Response(ClearanceOutput(clearance).data, status=status.HTTP_201_CREATED)


class OutboundOutput(serializers.ModelSerializer):
    reason = serializers.SerializerMethodField()

    class Meta:
        model = OutboundReferral
        fields = [
            "id",
            "patient",
            "therapist",
            *OUTBOUND_RECIPIENT_FIELDS,
            "status",
            "release",
            "sent_at",
            "acknowledged_at",
            "closed_at",
            "reason",
        ]

    def get_reason(self, referral) -> str:
        return selectors.referral_reason(referral)


class OutboundInput(serializers.Serializer):
    patient = serializers.IntegerField()
    recipient_kind = serializers.ChoiceField(choices=RecipientKind.choices)
    recipient_name = serializers.CharField(max_length=200)
    recipient_practice = serializers.CharField(max_length=200, required=False, allow_blank=True)
    recipient_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    recipient_fax = serializers.CharField(max_length=30, required=False, allow_blank=True)
    recipient_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=4000)


class SendInput(serializers.Serializer):
    release = serializers.IntegerField(
        required=False, allow_null=True, help_text="A signed release of information; the newest when left out."
    )


class OutboundViewSet(_ReferralViewSet):
    """Outbound referrals: one patient's (?patient=), or every draft for the referral desk."""

    serializer_class = OutboundOutput
    open_referral = staticmethod(selectors.outbound_open)
    read_action = "referral_outbound_view"
    error_statuses = {"create": {404}, "list": {404}}

    @extend_schema(parameters=[OpenApiParameter("patient", int, description="One patient's; else every draft.")])
    def list(self, request):
        patient = _listed_patient(request, "referrals.track_outbound", self.read_action)
        rows = selectors.patient_outbound(patient=patient) if patient is not None else selectors.outbound_drafts()
        return self._page(rows)

    @extend_schema(request=OutboundInput, responses={201: OutboundOutput})
    def create(self, request):
        data = OutboundInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        refusal = PermissionDenied("Only the patient's psychotherapist may refer them out.")
        patient = patient_get_for(
            user=request.user,
            patient_id=values.pop("patient"),
            perm="referrals.write_outbound",
            action="referral_outbound_draft",
            refusal=refusal,
        )
        referral = services.outbound_draft(actor=request.user, patient=patient, **values)
        return self._answer(referral, status.HTTP_201_CREATED)

    @extend_schema(request=SendInput, responses=OutboundOutput)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        referral = self._referral(pk)
        data = SendInput(data=request.data)
        data.is_valid(raise_exception=True)
        release = None
        release_id = data.validated_data.get("release")
        if release_id is not None:
            release = selectors.release_choices(patient=referral.patient).filter(pk=release_id).first()
            if release is None:
                raise serializers.ValidationError(
                    {"release": ["Not a release of information in force for this patient."]}
                )
        return self._answer(services.outbound_send(actor=request.user, referral=referral, release=release))

    @extend_schema(request=None, responses=OutboundOutput)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._answer(services.outbound_acknowledge(actor=request.user, referral=self._referral(pk)))

    @extend_schema(request=None, responses=OutboundOutput)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._answer(services.outbound_close(actor=request.user, referral=self._referral(pk)))


def register(router) -> None:
    router.register("referrals/inbound", InboundViewSet, basename="referral-inbound")
    router.register("referrals/outbound", OutboundViewSet, basename="referral-outbound")
