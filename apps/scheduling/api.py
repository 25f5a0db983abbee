"""Scheduling API: appointments and their actions, weekly series with a conflict preview, and reference data.

A booking conflict answers 409 with the conflicting appointment; bad input answers 400 with field messages.
"""

import contextlib

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from apps.accounts.api_permissions import permissions_with
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core import errors
from apps.core.api_lookups import id_or_none
from apps.patients.selectors import narrowed_to_a_patient_seen, patient_get_for, patients_visible_to

from . import locations, selectors, services
from .availability_kinds import KINDS, AvailabilityKind
from .models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    Location,
    LocationHours,
    Room,
    ServiceType,
    TimeOff,
    WorkingHours,
)

# ---------------------------------------------------------------------------------------------------------------
# Serializers


class LocationBrief(serializers.ModelSerializer):
    """Where a session is, and the zone its local times are in."""

    class Meta:
        model = Location
        fields = ["id", "name", "time_zone"]


class AppointmentOutput(serializers.ModelSerializer):
    location = LocationBrief(read_only=True)
    local_start = serializers.SerializerMethodField(help_text="The start in the location's zone.")
    local_end = serializers.SerializerMethodField(help_text="The end in the location's zone.")
    therapist_name = serializers.CharField(source="therapist.full_name", read_only=True)
    patient_name = serializers.CharField(source="patient.display_name", default=None, allow_null=True, read_only=True)
    room_name = serializers.CharField(source="room.name", default=None, allow_null=True, read_only=True)
    service_code = serializers.CharField(source="service_type.code", read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "therapist",
            "therapist_name",
            "patient",
            "patient_name",
            "location",
            "room",
            "room_name",
            "service_type",
            "service_code",
            "series",
            "start",
            "end",
            "local_start",
            "local_end",
            "status",
            "is_telehealth",
            "telehealth_url",
            "checked_in_at",
            "completed_at",
            "cancelled_at",
            "cancellation_reason",
            "override_reason",
        ]

    # The location row comes with the session (selected with it), so its zone costs no query.
    @extend_schema_field(serializers.DateTimeField)
    def get_local_start(self, obj) -> str:
        return timezone.localtime(obj.start, obj.location.zone).isoformat()

    @extend_schema_field(serializers.DateTimeField)
    def get_local_end(self, obj) -> str:
        return timezone.localtime(obj.end, obj.location.zone).isoformat()


MAX_ID = 2**63 - 1
ID_PATTERN = r"[0-9]{1,18}"  # ids in routes: anything else is a 404 without touching the database


class _Ref(serializers.PrimaryKeyRelatedField):
    """A reference by id; an id outside the database's range is invalid input, never looked up."""

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.IntegerField(min_value=1, max_value=MAX_ID))
        super().__init__(**kwargs)


class PatientAppointmentOutput(AppointmentOutput):
    """What a patient sees of their own sessions: no staff-only booking notes."""

    class Meta(AppointmentOutput.Meta):
        fields = [f for f in AppointmentOutput.Meta.fields if f != "override_reason"]


class _When(serializers.DateTimeField):
    """A datetime; one so near the end of the calendar that converting its zone overflows is invalid input."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except OverflowError as exc:
            raise serializers.ValidationError("Date out of range.") from exc


class _ScopedPatientField(_Ref):
    """Only patients the requesting user may see can be booked. One they may not see is refused in the words a
    missing one is, and the refusal is logged."""

    def get_queryset(self):
        return patients_visible_to(user=self.context["request"].user)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            # Only a patient outside the user's scope is looked up again, to log the refusal: a booking of one the
            # user may see costs no query more. The queryset's answer stands, as for a missing patient.
            if (patient_id := id_or_none(data)) is not None:
                with contextlib.suppress(errors.NotFound):
                    user = self.context["request"].user
                    patient_get_for(
                        user=user, patient_id=patient_id, perm="patients.view_patient", action="appointment_book"
                    )
            raise


def _therapist_field(**kwargs):
    # The profile comes along: booking reads the therapist's reduced-fee cap from it.
    therapists = User.objects.filter(groups__name=Role.THERAPIST, is_active=True).select_related("therapist_profile")
    return _Ref(queryset=therapists, **kwargs)


def _location_field(**kwargs):
    return _Ref(
        queryset=Location.objects.filter(is_active=True),
        allow_null=True,
        required=False,
        help_text="Where the session is: a room's own location, else the therapist's office when omitted.",
        **kwargs,
    )


PAST_HELP = (
    "Staff only: confirms a start that has already passed, to record a session that took place. Without it such a "
    "start is refused (422 naming this field); patients never book the past."
)


class _BookingFields(serializers.Serializer):
    therapist = _therapist_field()
    location = _location_field(default=None)
    patient = _ScopedPatientField(allow_null=True, required=False, default=None)
    service_type = _Ref(queryset=ServiceType.objects.filter(is_active=True))
    room = _Ref(
        queryset=Room.objects.filter(is_active=True).select_related("location"),
        allow_null=True,
        required=False,
        default=None,
    )
    is_telehealth = serializers.BooleanField(default=False)
    override_reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    cap_override_reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    allow_past = serializers.BooleanField(default=False, help_text=PAST_HELP)


class AppointmentInput(_BookingFields):
    start = _When()


class RescheduleInput(serializers.Serializer):
    start = _When()
    therapist = _therapist_field(
        required=False, help_text="Move the session to this therapist; omit to keep the session's own."
    )
    room = _Ref(
        queryset=Room.objects.filter(is_active=True).select_related("location"), allow_null=True, required=False
    )
    location = _location_field()
    is_telehealth = serializers.BooleanField(required=False)
    scope = serializers.ChoiceField(choices=["this", "following"], default="this")
    override_reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    cap_override_reason = serializers.CharField(
        max_length=300,
        required=False,
        default="",
        allow_blank=True,
        help_text="Staff only: why another therapist takes this reduced-fee patient past their cap (logged).",
    )
    allow_past = serializers.BooleanField(default=False, help_text=PAST_HELP)


class AppointmentFilter(serializers.Serializer):
    start_after = _When(required=False)
    start_before = _When(required=False)
    therapist = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    patient = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=AppointmentStatus.choices, required=False)


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    waive_late_fee = serializers.BooleanField(default=False)
    scope = serializers.ChoiceField(choices=["this", "following"], default="this")


class CancelPreviewQuery(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["this", "following"], default="this")
    waive_late_fee = serializers.BooleanField(default=False)


class CancelOutcomeOutput(serializers.Serializer):
    appointment = serializers.IntegerField(source="appointment.pk")
    start = serializers.DateTimeField(source="appointment.start")
    late = serializers.BooleanField(help_text="Recorded as a late cancellation.")
    late_fee = serializers.DecimalField(
        source="fee.fee",
        max_digits=9,
        decimal_places=2,
        allow_null=True,
        default=None,
        help_text="The late-cancellation charge it posts; null when it posts none.",
    )
    package_session = serializers.BooleanField(
        source="fee.package_session",
        default=False,
        help_text="A session of the patient's package is used instead of a fee (the charge posts 0.00).",
    )


class CancelPreviewOutput(serializers.Serializer):
    late = serializers.BooleanField(source="is_late")
    late_fee_total = serializers.DecimalField(source="fee_total", max_digits=9, decimal_places=2)
    class_label = serializers.CharField(
        allow_null=True, help_text="The patient's fee class the fee is priced at, for those who may see it."
    )
    sessions = CancelOutcomeOutput(source="outcomes", many=True)


class SeriesInput(_BookingFields):
    patient = _ScopedPatientField()
    first_date = serializers.DateField()
    local_start_time = serializers.TimeField()
    interval_weeks = serializers.IntegerField(min_value=1, max_value=4, default=1)
    occurrence_count = serializers.IntegerField(
        min_value=1, max_value=services.MAX_SERIES_DATES, required=False, allow_null=True
    )
    end_date = serializers.DateField(required=False, allow_null=True)
    skip_conflicts = serializers.BooleanField(default=False)

    def validate(self, attrs):
        if attrs.get("occurrence_count") and attrs.get("end_date"):
            raise serializers.ValidationError({"end_date": ["Give either a number of sessions or an end date."]})
        return attrs


class SeriesOutput(serializers.ModelSerializer):
    location = LocationBrief(read_only=True)

    class Meta:
        model = AppointmentSeries
        fields = [
            "id",
            "therapist",
            "patient",
            "service_type",
            "location",
            "room",
            "is_telehealth",
            "weekday",
            "local_start_time",
            "interval_weeks",
            "first_date",
            "occurrence_count",
            "end_date",
            "booked_through",
            "status",
        ]


class LocationHoursSerializer(serializers.ModelSerializer):
    location = _Ref(queryset=Location.objects.all())

    class Meta:
        model = LocationHours
        fields = ["id", "location", "weekday", "opens", "closes"]
        validators = []  # the overlap is the service's (and the database's) to refuse, in words


class LocationSerializer(serializers.ModelSerializer):
    hours = LocationHoursSerializer(many=True, read_only=True)

    class Meta:
        model = Location
        fields = [
            "id",
            "name",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "phone",
            "time_zone",
            "place_of_service",
            "is_main",
            "is_active",
            "hours",
        ]
        read_only_fields = ["is_main"]


class RoomSerializer(serializers.ModelSerializer):
    location = _Ref(queryset=Location.objects.filter(is_active=True), required=False)

    class Meta:
        model = Room
        fields = ["id", "name", "location", "capacity", "is_active"]
        validators = []  # the service's full_clean answers a name taken at the location, with the field


class ServiceTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceType
        fields = ["id", "name", "code", "duration_minutes", "is_group", "is_active", "discipline"]


class WorkingHoursSerializer(serializers.ModelSerializer):
    therapist = _therapist_field()
    location = _Ref(
        queryset=Location.objects.filter(is_active=True),
        required=False,
        help_text="Where the therapist works these hours (in its zone); the therapist's office when omitted.",
    )

    class Meta:
        model = WorkingHours
        fields = ["id", "therapist", "location", "weekday", "start_time", "end_time"]


class TimeOffSerializer(serializers.ModelSerializer):
    therapist = _therapist_field()

    class Meta:
        model = TimeOff
        fields = ["id", "therapist", "start", "end", "time_zone", "reason"]
        extra_kwargs = {
            "time_zone": {
                "help_text": (
                    "IANA zone the time off is read on: an instant at its midnight starts or ends a whole day, kept "
                    "as each office's own day. The clinic's when new time off names none; kept when a change names "
                    "none."
                )
            }
        }


# ---------------------------------------------------------------------------------------------------------------
# Appointments


def _validated(serializer_class, request, **kwargs):
    data = serializer_class(data=request.data, context={"request": request}, **kwargs)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _booking_allowed(user, therapist) -> None:
    if not user.has_perm("scheduling.book_appointment") or not user.has_perm(
        "scheduling.book_for_therapist", therapist
    ):
        raise PermissionDenied("You may not book sessions for this therapist.")


class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Sessions visible to the user. Booking and every status change are POSTs that call the services."""

    serializer_class = AppointmentOutput
    lookup_value_regex = ID_PATTERN
    # A preview refuses what the cancellation itself would: a session no longer booked, "following" outside a series.
    error_statuses = {"cancel_preview": (409, 422)}

    def get_queryset(self):
        params = AppointmentFilter(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        lookups = {
            "start_after": "start__gte",
            "start_before": "start__lt",
            "therapist": "therapist_id",
            "patient": "patient_id",
            "status": "status",
        }
        filters = {lookups[name]: value for name, value in params.validated_data.items()}
        rows = selectors.appointments_visible_to(user=self.request.user).filter(**filters).order_by("start", "pk")
        patient_id = params.validated_data.get("patient")
        return narrowed_to_a_patient_seen(
            rows, user=self.request.user, patient_id=patient_id, action="appointment_list_view"
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("start_after", str, description="ISO datetime"),
            OpenApiParameter("start_before", str, description="ISO datetime"),
            OpenApiParameter("therapist", int),
            OpenApiParameter("patient", int),
            OpenApiParameter("status", str),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_serializer_class(self):
        staff = getattr(self.request.user, "is_clinic_staff", True)  # the schema is drawn for staff
        return AppointmentOutput if staff else PatientAppointmentOutput

    def _out(self, data, *, many: bool = False, code: int = 200) -> Response:
        return Response(self.get_serializer_class()(data, many=many).data, status=code)

    def _get(self, pk) -> Appointment:
        appointment = selectors.appointment_get(user=self.request.user, appointment_id=pk)
        if appointment is None:
            raise NotFound("No such appointment.")
        return appointment

    def _allowed(self, perm: str, appointment: Appointment) -> None:
        if not self.request.user.has_perm(perm, appointment):
            raise PermissionDenied

    def retrieve(self, request, pk=None):
        appointment = selectors.appointment_open(user=request.user, appointment_id=pk)
        if appointment is None:
            raise NotFound("No such appointment.")
        return self._out(appointment)

    @extend_schema(request=AppointmentInput, responses={201: AppointmentOutput})
    def create(self, request):
        data = _validated(AppointmentInput, request)
        _booking_allowed(request.user, data["therapist"])
        appointment = services.appointment_book(actor=request.user, **data)
        return self._out(appointment, code=status.HTTP_201_CREATED)

    @extend_schema(request=CancelInput, responses=AppointmentOutput(many=True))
    @action(detail=True, methods=["post"], pagination_class=None)
    def cancel(self, request, pk=None):
        appointment = self._get(pk)
        self._allowed("scheduling.cancel_appointment", appointment)
        data = _validated(CancelInput, request)
        scope = data.pop("scope")
        if scope == "following":
            self._allowed("scheduling.change_appointment", appointment)
            cancelled = services.series_cancel_following(appointment=appointment, actor=request.user, **data)
        else:
            cancelled = [services.appointment_cancel(appointment=appointment, actor=request.user, **data)]
        return self._out(cancelled, many=True)

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", str, enum=["this", "following"]),
            OpenApiParameter("waive_late_fee", bool),
        ],
        responses=CancelPreviewOutput,
    )
    @action(detail=True, methods=["get"], url_path="cancel-preview", pagination_class=None)
    def cancel_preview(self, request, pk=None):
        """What POST cancel/ would do now, writing nothing: which sessions, which are late, and the late-cancel fee
        each would post at the patient's class (the figure the cancellation page states)."""
        appointment = self._get(pk)
        self._allowed("scheduling.cancel_appointment", appointment)
        params = CancelPreviewQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        preview = services.cancellation_preview(appointment=appointment, actor=request.user, **params.validated_data)
        priced = next((o.fee for o in preview.outcomes if o.fee is not None), None)
        show_class = priced is not None and request.user.has_perm("billing.view_class", appointment.patient)
        body = {
            "is_late": preview.is_late,
            "fee_total": preview.fee_total,
            "class_label": priced.class_label if show_class else None,
            "outcomes": preview.outcomes,
        }
        return Response(CancelPreviewOutput(body).data)

    @extend_schema(request=RescheduleInput, responses=AppointmentOutput(many=True))
    @action(detail=True, methods=["post"], pagination_class=None)
    def reschedule(self, request, pk=None):
        appointment = self._get(pk)
        self._allowed("scheduling.change_appointment", appointment)
        data = _validated(RescheduleInput, request)
        if data.get("therapist") is not None:
            _booking_allowed(request.user, data["therapist"])
        data.setdefault("room", services.KEEP)
        moved = services.appointment_reschedule(appointment=appointment, actor=request.user, **data)
        return self._out(moved, many=True)

    def _transition(self, pk, service):
        appointment = self._get(pk)
        self._allowed("scheduling.change_appointment", appointment)
        return self._out(service(appointment=appointment, actor=self.request.user))

    @extend_schema(request=None, responses=AppointmentOutput)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        return self._transition(pk, services.appointment_check_in)

    @extend_schema(request=None, responses=AppointmentOutput)
    @action(detail=True, methods=["post"], url_path="undo-check-in")
    def undo_check_in(self, request, pk=None):
        """Take back a check-in made in error: the session is booked again. Refused (409) once it is completed."""
        return self._transition(pk, services.appointment_check_in_undo)

    @extend_schema(request=None, responses=AppointmentOutput)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._transition(pk, services.appointment_complete)

    @extend_schema(request=None, responses=AppointmentOutput)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        return self._transition(pk, services.appointment_no_show)


# ---------------------------------------------------------------------------------------------------------------
# Series


class SeriesViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SeriesOutput
    lookup_value_regex = ID_PATTERN
    queryset = AppointmentSeries.objects.none()  # typed for the schema; get_queryset scopes to the user

    def get_queryset(self):
        return selectors.series_visible_to(user=self.request.user)

    def _plan_args(self, request) -> dict:
        data = dict(_validated(SeriesInput, request))
        _booking_allowed(request.user, data["therapist"])
        return data

    @extend_schema(request=SeriesInput, responses={200: dict})
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """Which dates of the proposed series are free, and what each blocked one collides with."""
        data = self._plan_args(request)
        for name in ("skip_conflicts", "override_reason", "cap_override_reason", "allow_past"):
            data.pop(name)
        return Response(services.series_preview(**data).as_dict())

    @extend_schema(request=SeriesInput, responses={201: dict})
    def create(self, request):
        result = services.series_book(actor=request.user, **self._plan_args(request))
        body = {
            "series": SeriesOutput(result.series).data,
            "booked": AppointmentOutput(result.booked, many=True).data,
            "skipped": [s.as_dict() for s in result.skipped],
        }
        return Response(body, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------------------------
# Reference data


class _ReferenceViewSet(viewsets.ModelViewSet):
    """Read for staff; writes through the app's save services. `save` is the service, `noun` its keyword."""

    save = None
    noun = ""
    change_perm = "scheduling.manage_reference_data"
    lookup_value_regex = ID_PATTERN
    permission_classes = permissions_with("scheduling.view_reference_data")
    # No DELETE: rooms and service types are retired (is_active), since past appointments point at them.
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def _check_change(self, instance=None) -> None:
        if not self.request.user.has_perm(self.change_perm, instance):
            raise PermissionDenied

    def perform_create(self, serializer):
        self._check_change()
        serializer.instance = type(self).save(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        self._check_change(serializer.instance)
        kwargs = {self.noun: serializer.instance, **serializer.validated_data}
        serializer.instance = type(self).save(actor=self.request.user, **kwargs)


class RoomViewSet(_ReferenceViewSet):
    serializer_class = RoomSerializer
    queryset = Room.objects.all()
    save = staticmethod(services.room_save)
    noun = "room"


class LocationViewSet(_ReferenceViewSet):
    serializer_class = LocationSerializer
    queryset = Location.objects.prefetch_related("hours")
    save = staticmethod(locations.location_save)
    noun = "location"


class LocationHoursViewSet(_ReferenceViewSet):
    serializer_class = LocationHoursSerializer
    queryset = LocationHours.objects.select_related("location")
    save = staticmethod(locations.location_hours_save)
    noun = "hours"
    http_method_names = [*_ReferenceViewSet.http_method_names, "delete"]

    def perform_destroy(self, instance):
        self._check_change(instance)
        locations.location_hours_delete(actor=self.request.user, hours=instance)


class ServiceTypeViewSet(_ReferenceViewSet):
    serializer_class = ServiceTypeSerializer
    queryset = ServiceType.objects.all()
    save = staticmethod(services.service_type_save)
    noun = "service_type"


class _AvailabilityViewSet(_ReferenceViewSet):
    """A therapist manages their own; front desk and admins everyone's."""

    change_perm = "scheduling.manage_availability"
    http_method_names = [*_ReferenceViewSet.http_method_names, "delete"]
    kind: AvailabilityKind

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The reference viewset's create and update call `save` for `noun`; here they come from the kind. Its delete
        # is called on the kind itself: `delete` on a viewset is DRF's handler for the DELETE method.
        cls.save, cls.noun = staticmethod(cls.kind.save), cls.kind.noun

    def get_queryset(self):
        return self.kind.visible(user=self.request.user)

    def _check_therapist(self, serializer) -> None:
        therapist = serializer.validated_data.get("therapist")
        user = self.request.user
        if therapist is not None and not user.has_perm("scheduling.manage_therapist_availability", therapist):
            raise PermissionDenied

    def perform_create(self, serializer):
        if not self.request.user.has_perm("scheduling.add_availability"):
            raise PermissionDenied
        self._check_therapist(serializer)
        serializer.instance = type(self).save(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        self._check_therapist(serializer)
        super().perform_update(serializer)

    def perform_destroy(self, instance):
        self._check_change(instance)
        self.kind.delete(actor=self.request.user, **{self.noun: instance})


class WorkingHoursViewSet(_AvailabilityViewSet):
    serializer_class = WorkingHoursSerializer
    queryset = WorkingHours.objects.none()  # typed for the schema; get_queryset scopes to the user
    kind = KINDS["hours"]


class TimeOffViewSet(_AvailabilityViewSet):
    serializer_class = TimeOffSerializer
    queryset = TimeOff.objects.none()  # typed for the schema; get_queryset scopes to the user
    kind = KINDS["time-off"]

    def create(self, request, *args, **kwargs):
        return self._with_sessions_to_move(super().create(request, *args, **kwargs))

    def update(self, request, *args, **kwargs):
        return self._with_sessions_to_move(super().update(request, *args, **kwargs))

    def _with_sessions_to_move(self, response: Response) -> Response:
        """Name the booked sessions inside the time off, for the front desk to move."""
        time_off = TimeOff.objects.get(pk=response.data["id"])
        when = serializers.DateTimeField()
        clashes = selectors.sessions_in_time_off(time_off=time_off)
        response.data["sessions_to_move"] = [
            {"id": a.pk, "start": when.to_representation(a.start), "end": when.to_representation(a.end)}
            for a in clashes
        ]
        return response


def register(router) -> None:
    router.register("appointments", AppointmentViewSet, basename="appointment")
    router.register("appointment-series", SeriesViewSet, basename="appointment-series")
    router.register("locations", LocationViewSet, basename="location")
    router.register("location-hours", LocationHoursViewSet, basename="location-hours")
    router.register("rooms", RoomViewSet, basename="room")
    router.register("service-types", ServiceTypeViewSet, basename="service-type")
    router.register("working-hours", WorkingHoursViewSet, basename="working-hours")
    router.register("time-off", TimeOffViewSet, basename="time-off")
