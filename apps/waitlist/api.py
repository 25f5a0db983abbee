"""Slot waitlist API: waiting for a weekly time with a therapist, answering the offer of one, and (the front desk)
the freed weekly times offered down the list.

The slot requests' paths are those the endpoints had when they were part of the programs API (/api/slot-requests/).
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from apps.accounts.selectors import active_therapists
from apps.core.errors import InvalidTransition
from apps.patients.selectors import patients_visible_to
from apps.scheduling.models import ServiceType

from . import selectors, services
from .models import FreedSlot, FreedSlotStatus, SlotOffer, SlotRequest, SlotRequestStatus


class SlotOfferOutput(serializers.ModelSerializer):
    therapist = serializers.IntegerField(source="slot.therapist_id", read_only=True)
    weekday = serializers.IntegerField(source="slot.weekday", read_only=True)
    local_start_time = serializers.TimeField(source="slot.local_start_time", read_only=True)
    location = serializers.IntegerField(
        source="slot.location_id", read_only=True, help_text="The office the time is at, which taking it books."
    )
    place = serializers.SerializerMethodField(help_text='Where the sessions are: "video session", or the office.')

    class Meta:
        model = SlotOffer
        fields = [
            "id",
            "therapist",
            "weekday",
            "local_start_time",
            "location",
            "place",
            "status",
            "expires_at",
            "series",
        ]

    def get_place(self, offer) -> str:
        return selectors.slot_patient_place(offer.slot)


class SlotRequestOutput(serializers.ModelSerializer):
    patient_name = serializers.CharField(source="patient.display_name", read_only=True)
    offer = serializers.SerializerMethodField()

    class Meta:
        model = SlotRequest
        fields = [
            "id",
            "patient",
            "patient_name",
            "therapist",
            "service_type",
            "weekdays",
            "earliest_start",
            "latest_start",
            "status",
            "offer",
            "created_at",
        ]

    @extend_schema_field(SlotOfferOutput(allow_null=True))
    def get_offer(self, request) -> dict | None:
        offers = request.outstanding_offers
        return SlotOfferOutput(offers[0]).data if offers else None


class SlotRequestInput(serializers.Serializer):
    patient = serializers.IntegerField(required=False, help_text="Staff: the patient. Patients: omit.")
    therapist = serializers.PrimaryKeyRelatedField(queryset=active_therapists(), required=False, allow_null=True)
    service_type = serializers.PrimaryKeyRelatedField(queryset=ServiceType.objects.filter(is_active=True))
    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6), allow_empty=False)
    earliest_start = serializers.TimeField()
    latest_start = serializers.TimeField()


class SlotOfferAcceptInput(serializers.Serializer):
    cap_override_reason = serializers.CharField(
        max_length=300,
        required=False,
        default="",
        allow_blank=True,
        help_text="Staff only: why the therapist takes this reduced-fee patient past their cap (logged). Without it, "
        "a patient past the cap is refused with 409 naming the therapist and the cap.",
    )


class SlotRequestFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=SlotRequestStatus.choices, required=False, allow_blank=True)


def _by_status(queryset, filters_class, request):
    """A list narrowed to the `status` its query names (400 naming the choices for one it does not know)."""
    filters = filters_class(data=request.query_params)
    filters.is_valid(raise_exception=True)
    wanted = filters.validated_data.get("status")
    return queryset.filter(status=wanted) if wanted else queryset


class SlotRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Waiting for a weekly time with a therapist. Patients see and make their own; the front desk sees everyone's
    in the order times are offered."""

    serializer_class = SlotRequestOutput
    error_statuses = {"create": {404}}  # staff name a patient they may not see

    def get_queryset(self):
        qs = selectors.slot_requests_visible_to(user=self.request.user)
        return _by_status(qs, SlotRequestFilter, self.request) if self.action == "list" else qs

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=SlotRequestStatus.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=SlotRequestInput, responses={201: SlotRequestOutput})
    def create(self, request):
        data = SlotRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        patient_id = fields.pop("patient", None)
        if request.user.has_perm("waitlist.manage_slot_waitlist"):
            if patient_id is None:
                raise serializers.ValidationError({"patient": ["Required."]})
            patient = get_object_or_404(patients_visible_to(user=request.user), pk=patient_id)
        elif request.user.has_perm("waitlist.request_slot") and getattr(request.user, "patient", None):
            patient = request.user.patient
            if patient_id not in (None, patient.pk):
                raise PermissionDenied
        else:
            raise PermissionDenied
        slot_request = services.slot_request_create(actor=request.user, patient=patient, **fields)
        return Response(
            SlotRequestOutput(self.get_queryset().get(pk=slot_request.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses=SlotRequestOutput)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        slot_request = self.get_object()
        services.slot_request_cancel(actor=request.user, request=slot_request)
        return Response(SlotRequestOutput(self.get_queryset().get(pk=slot_request.pk)).data)

    def _answer(self, request, pk, service, **kwargs):
        slot_request = self.get_object()
        offers = slot_request.outstanding_offers
        if not offers:
            raise InvalidTransition("There is no open offer on this request.")
        service(actor=request.user, offer=offers[0], **kwargs)
        return Response(SlotRequestOutput(self.get_queryset().get(pk=slot_request.pk)).data)

    @extend_schema(request=SlotOfferAcceptInput, responses=SlotRequestOutput)
    @action(detail=True, methods=["post"], url_path="accept-offer")
    def accept_offer(self, request, pk=None):
        """Take the offered weekly time: the series is booked, held to the therapist's reduced-fee cap like any
        booking (staff may override it with `cap_override_reason`)."""
        data = SlotOfferAcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(request, pk, services.slot_offer_accept, **data.validated_data)

    @extend_schema(request=None, responses=SlotRequestOutput)
    @action(detail=True, methods=["post"], url_path="decline-offer")
    def decline_offer(self, request, pk=None):
        """Turn the offered time down and keep waiting."""
        return self._answer(request, pk, services.slot_offer_decline)


class FreedSlotHolderOutput(serializers.ModelSerializer):
    slot_request = serializers.IntegerField(source="request_id", read_only=True)
    patient = serializers.IntegerField(source="request.patient_id", read_only=True)
    patient_name = serializers.CharField(source="request.patient.display_name", read_only=True)

    class Meta:
        model = SlotOffer
        fields = ["id", "slot_request", "patient", "patient_name", "expires_at"]


class FreedSlotOutput(serializers.ModelSerializer):
    therapist_name = serializers.CharField(source="therapist.full_name", read_only=True)
    weekly_time = serializers.SerializerMethodField(
        help_text='The time as staff pages say it, on its office\'s clock: "Fridays at 10:00 AM Los Angeles time".'
    )
    place = serializers.SerializerMethodField(help_text='Its office and room, or video: "West office, Room 2".')
    offered_to = serializers.SerializerMethodField(help_text="The offer of the time someone holds now, if any.")

    class Meta:
        model = FreedSlot
        fields = [
            "id",
            "therapist",
            "therapist_name",
            "weekday",
            "local_start_time",
            "weekly_time",
            "duration_minutes",
            "location",
            "room",
            "is_telehealth",
            "place",
            "free_from",
            "status",
            "offered_to",
            "withdrawn_at",
            "withdrawn_by",
        ]

    def get_weekly_time(self, slot) -> str:
        return selectors.slot_weekly_time(slot)

    def get_place(self, slot) -> str:
        return selectors.slot_place(slot)

    @extend_schema_field(FreedSlotHolderOutput(allow_null=True))
    def get_offered_to(self, slot) -> dict | None:
        offers = slot.outstanding_offers
        return FreedSlotHolderOutput(offers[0]).data if offers else None


class FreedSlotFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=FreedSlotStatus.choices, required=False, allow_blank=True)


class FreedSlotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The weekly times freed when a series ended, offered down the slot waitlist, soonest free first, as the slot
    waitlist page lists them: for the front desk and administrators only."""

    serializer_class = FreedSlotOutput
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return FreedSlot.objects.none()
        if not self.request.user.has_perm("waitlist.manage_slot_waitlist"):
            raise PermissionDenied("Freed times are for the front desk and administrators.")
        qs = selectors.freed_slots_with_holders()
        return _by_status(qs, FreedSlotFilter, self.request) if self.action == "list" else qs

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=FreedSlotStatus.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=FreedSlotOutput)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The clinic stops offering the time, as *Withdraw…* on the slot waitlist page: whoever holds an offer of it
        goes back in line in their place and is told the time is no longer offered. A time taken or already
        withdrawn answers 409."""
        slot = services.freed_slot_withdraw(actor=request.user, slot=self.get_object())
        return Response(FreedSlotOutput(self.get_queryset().get(pk=slot.pk)).data)


def register(router) -> None:
    router.register("slot-requests", SlotRequestViewSet, basename="slot-request")
    router.register("freed-slots", FreedSlotViewSet, basename="freed-slot")
