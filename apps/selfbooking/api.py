"""Online booking for patients: a therapist's free slots in a week, booking a first session, moving a session.

400 for malformed input (and a week the booking window does not reach), 403 for someone who may not (not a
patient, a therapist without online booking, another patient's session), 409 for a slot taken meanwhile, and for
slots or a booking of a first session the patient has coming or has already had, 422 for a time the rules refuse
(outside the window or working hours, in time off, a session too close to move).
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api_permissions import permissions_with
from apps.scheduling.api import PatientAppointmentOutput
from apps.scheduling.selectors import active_therapist

from . import offers, rules, selectors, services

MAX_ID = 2**63 - 1


def _id_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class SelfBookingSlotsQuery(serializers.Serializer):
    therapist = _id_field(required=False)
    appointment = _id_field(required=False, help_text="To move this session: its therapist's slots.")
    week = serializers.DateField(
        required=False, help_text="Any day of a week the booking window reaches (YYYY-MM-DD); default this week."
    )

    def validate_week(self, value):
        refusal = selectors.booking_window().week_refusal(selectors.monday_of(value))
        if refusal:
            raise serializers.ValidationError(refusal)
        return value

    def validate(self, attrs):
        if ("therapist" in attrs) == ("appointment" in attrs):
            raise serializers.ValidationError("Give either a therapist (a first session) or an appointment (a move).")
        return attrs


class _Start(serializers.DateTimeField):
    """A start time; one so near the end of the calendar that converting its zone overflows is invalid input."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except OverflowError:
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss]±hh:mm")


class SelfBookingSlotOutput(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class SelfBookingWindowOutput(serializers.Serializer):
    earliest = serializers.DateTimeField()
    latest = serializers.DateTimeField()


class SelfBookingFeeOutput(serializers.Serializer):
    fee = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    class_label = serializers.CharField()
    estimate_total = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    estimate_is_new = serializers.BooleanField(help_text="Confirming issues a Good Faith Estimate for the session.")


class SelfBookingSlotsOutput(serializers.Serializer):
    week = serializers.DateField()
    window = SelfBookingWindowOutput()
    slots = SelfBookingSlotOutput(many=True)
    fee = SelfBookingFeeOutput(
        allow_null=True, help_text="The session's fee at the patient's class; null without free slots."
    )


class SelfBookingBookInput(serializers.Serializer):
    therapist = _id_field()
    start = _Start()


class SelfBookingMoveInput(serializers.Serializer):
    appointment = _id_field()
    start = _Start()


def _therapist(therapist_id):
    therapist = active_therapist(therapist_id=therapist_id)
    if therapist is None:
        raise NotFound("No such therapist.")
    return therapist


def _own_session(request, appointment_id):
    appointment = selectors.own_session(patient=rules.patient_required(request.user), appointment_id=appointment_id)
    if appointment is None:
        raise NotFound("No such session of yours.")
    return appointment


class SlotsView(APIView):
    permission_classes = permissions_with("selfbooking.use")
    # The therapist or session named in the query; a session too close to move, or no first session offered; a
    # first session the patient has coming or has had, or a therapist past their reduced-fee cap.
    error_statuses = {"get": {404, 409, 422}}

    @extend_schema(parameters=[SelfBookingSlotsQuery], responses={200: SelfBookingSlotsOutput})
    def get(self, request):
        query = SelfBookingSlotsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        week = selectors.monday_of(query.validated_data.get("week") or selectors.week_of(None))
        if "therapist" in query.validated_data:
            therapist = _therapist(query.validated_data["therapist"])
            offer = offers.first_session_offer(user=request.user, therapist=therapist, week=week)
        else:
            appointment = _own_session(request, query.validated_data["appointment"])
            offer = offers.move_offer(user=request.user, appointment=appointment, week=week)
        answer = {
            "week": week,
            "window": selectors.booking_window(),
            "slots": offer.slots,
            "fee": offer.quote(offer.slots[0]) if offer.slots else None,
        }
        return Response(SelfBookingSlotsOutput(answer).data)


class BookView(APIView):
    permission_classes = permissions_with("selfbooking.use")
    error_statuses = {"post": {404}}  # the therapist named in the body

    @extend_schema(request=SelfBookingBookInput, responses={201: PatientAppointmentOutput})
    def post(self, request):
        data = SelfBookingBookInput(data=request.data)
        data.is_valid(raise_exception=True)
        therapist = _therapist(data.validated_data["therapist"])
        appointment = services.self_booking_book(
            actor=request.user, therapist=therapist, start=data.validated_data["start"]
        )
        return Response(PatientAppointmentOutput(appointment).data, status=status.HTTP_201_CREATED)


class MoveView(APIView):
    permission_classes = permissions_with("selfbooking.use")
    error_statuses = {"post": {404}}  # the session named in the body is not one of the patient's

    @extend_schema(request=SelfBookingMoveInput, responses={200: PatientAppointmentOutput})
    def post(self, request):
        data = SelfBookingMoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = _own_session(request, data.validated_data["appointment"])
        moved = services.self_booking_move(
            actor=request.user, appointment=appointment, start=data.validated_data["start"]
        )
        return Response(PatientAppointmentOutput(moved).data)


def register(router) -> None:
    """Plain views, no router routes: see urlpatterns."""


urlpatterns = [
    path("self-booking/slots/", SlotsView.as_view(), name="self-booking-slots"),
    path("self-booking/book/", BookView.as_view(), name="self-booking-book"),
    path("self-booking/move/", MoveView.as_view(), name="self-booking-move"),
]
