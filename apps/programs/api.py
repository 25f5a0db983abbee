"""Programs API: programs, their meetings and enrollments, with enroll, withdraw, offer and attendance actions.

A full program answers 201 with a waitlisted enrollment (its place in line); a second live enrollment of the same
patient answers 409; an action on an enrollment in the wrong state answers 409; bad input answers 400/422.
"""

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import active_therapists
from apps.core.api_lookups import id_or_none
from apps.core.api_money import MoneyInput
from apps.patients.selectors import patients_visible_to
from apps.scheduling.models import Room, ServiceType

from . import lecture_selectors, selectors
from .models import (
    AttendanceStatus,
    Enrollment,
    EnrollmentStatus,
    FeeTier,
    GroupProgram,
    LectureFeeMode,
    ProgramKind,
    ProgramMeeting,
    ProgramStage,
    StrandedEnrollment,
)
from .services import attendance, formation, lectures, seats, setup, stranded
from .throttles import LectureRegistrationThrottle

# ---------------------------------------------------------------------------------------------------------------
# Serializers


class ProgramOutput(serializers.ModelSerializer):
    lead_facilitator_name = serializers.CharField(source="lead_facilitator.full_name", read_only=True)
    service_code = serializers.CharField(source="service_type.code", read_only=True)
    room_name = serializers.CharField(source="room.name", default=None, allow_null=True, read_only=True)
    enrolled_count = serializers.IntegerField(read_only=True)
    offered_count = serializers.IntegerField(read_only=True)
    waitlist_count = serializers.IntegerField(read_only=True)
    seats_free = serializers.SerializerMethodField()

    class Meta:
        model = GroupProgram
        fields = [
            "id",
            "title",
            "description",
            "kind",
            "stage",
            "fee_mode",
            "full_price",
            "reduced_price",
            "minimum_to_launch",
            "decision_on",
            "launched_at",
            "lead_facilitator",
            "lead_facilitator_name",
            "co_facilitators",
            "service_type",
            "service_code",
            "capacity",
            "charge_no_shows",
            "enrollment_opens_on",
            "enrollment_closes_on",
            "room",
            "room_name",
            "is_telehealth",
            "local_start_time",
            "first_meeting_on",
            "meeting_count",
            "interval_weeks",
            "outcome_questionnaires",
            "enrolled_count",
            "offered_count",
            "waitlist_count",
            "seats_free",
        ]

    def get_seats_free(self, program) -> int:
        return max(program.capacity - program.enrolled_count - program.offered_count, 0)


class ProgramInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, default="", allow_blank=True)
    kind = serializers.ChoiceField(choices=ProgramKind.choices, default=ProgramKind.GROUP)
    minimum_to_launch = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="With decision_on: propose the program (an interest list; meetings booked at launch).",
    )
    decision_on = serializers.DateField(required=False, allow_null=True, default=None)
    lead_facilitator = serializers.PrimaryKeyRelatedField(queryset=active_therapists())
    co_facilitators = serializers.PrimaryKeyRelatedField(
        queryset=active_therapists(), many=True, required=False, default=[]
    )
    service_type = serializers.PrimaryKeyRelatedField(queryset=ServiceType.objects.filter(is_active=True))
    kind = serializers.ChoiceField(choices=ProgramKind.choices, default=ProgramKind.GROUP)
    fee_mode = serializers.ChoiceField(
        choices=LectureFeeMode.choices, required=False, default="", allow_blank=True, help_text="Lecture series only."
    )
    full_price = MoneyInput(min_value=0, required=False, allow_null=True, default=None)
    reduced_price = MoneyInput(min_value=0, required=False, allow_null=True, default=None)
    capacity = serializers.IntegerField(min_value=1, max_value=200)
    charge_no_shows = serializers.BooleanField(default=False)
    enrollment_opens_on = serializers.DateField()
    enrollment_closes_on = serializers.DateField(required=False, allow_null=True, default=None)
    room = serializers.PrimaryKeyRelatedField(
        queryset=Room.objects.filter(is_active=True), required=False, allow_null=True, default=None
    )
    is_telehealth = serializers.BooleanField(default=False)
    local_start_time = serializers.TimeField()
    first_meeting_on = serializers.DateField()
    meeting_count = serializers.IntegerField(min_value=1, max_value=52)
    interval_weeks = serializers.IntegerField(min_value=1, max_value=4, default=1)
    outcome_questionnaires = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, default=[]
    )
    override_reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class ProgramChangeInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    charge_no_shows = serializers.BooleanField(required=False)
    enrollment_opens_on = serializers.DateField(required=False)
    enrollment_closes_on = serializers.DateField(required=False, allow_null=True)
    co_facilitators = serializers.PrimaryKeyRelatedField(queryset=active_therapists(), many=True, required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=200, required=False)
    minimum_to_launch = serializers.IntegerField(min_value=1, required=False, help_text="Proposed programs only.")


class LaunchInput(serializers.Serializer):
    override_reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class CallOffInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class DecisionInput(serializers.Serializer):
    decision_on = serializers.DateField()


class StrandedItemOutput(serializers.ModelSerializer):
    program = serializers.IntegerField(source="enrollment.program_id", read_only=True)
    program_title = serializers.CharField(source="enrollment.program.title", read_only=True)
    patient = serializers.IntegerField(source="enrollment.patient_id", read_only=True, allow_null=True)
    person_name = serializers.SerializerMethodField()
    waiting_since = serializers.DateTimeField(source="enrollment.created_at", read_only=True)

    class Meta:
        model = StrandedEnrollment
        fields = [
            "id",
            "enrollment",
            "program",
            "program_title",
            "patient",
            "person_name",
            "waiting_since",
            "reason",
            "created_at",
            "resolved_at",
            "resolved_by",
            "resolution_note",
        ]

    def get_person_name(self, item) -> str:
        enrollment = item.enrollment
        return enrollment.patient.display_name if enrollment.patient_id else enrollment.registrant.name


class ResolveInput(serializers.Serializer):
    note = serializers.CharField(max_length=500)


class MeetingOutput(serializers.ModelSerializer):
    start = serializers.DateTimeField(source="appointment.start", read_only=True)
    end = serializers.DateTimeField(source="appointment.end", read_only=True)
    status = serializers.CharField(source="appointment.status", read_only=True)
    room_name = serializers.CharField(source="appointment.room.name", default=None, allow_null=True, read_only=True)
    is_telehealth = serializers.BooleanField(source="appointment.is_telehealth", read_only=True)

    class Meta:
        model = ProgramMeeting
        fields = ["id", "program", "number", "appointment", "start", "end", "status", "room_name", "is_telehealth"]


class EnrollmentOutput(serializers.ModelSerializer):
    program_title = serializers.CharField(source="program.title", read_only=True)
    patient_name = serializers.CharField(
        source="member_name", read_only=True, help_text="The patient's name, or a public registrant's."
    )
    waitlist_rank = serializers.IntegerField(read_only=True, allow_null=True, help_text="1 = next in line.")

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "program",
            "program_title",
            "patient",
            "registrant",
            "patient_name",
            "status",
            "waitlist_rank",
            "offer_expires_at",
            "offered_at",
            "enrolled_at",
            "ended_at",
            "end_reason",
            "created_at",
        ]


class EnrollInput(serializers.Serializer):
    patient = serializers.IntegerField(required=False, help_text="Staff: the patient to enroll. Patients: omit.")


class WithdrawInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class MoveInput(serializers.Serializer):
    to_rank = serializers.IntegerField(min_value=1, help_text="New place in line; 1 = next.")
    reason = serializers.CharField(max_length=300)


class AttendanceRowInput(serializers.Serializer):
    enrollment = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)


class AttendanceInput(serializers.Serializer):
    records = AttendanceRowInput(many=True, allow_empty=False)


class AttendanceRowOutput(serializers.Serializer):
    enrollment = serializers.IntegerField()
    patient = serializers.IntegerField(allow_null=True)
    registrant = serializers.IntegerField(allow_null=True, help_text="A member of the public at a lecture.")
    patient_name = serializers.CharField()
    status = serializers.CharField(allow_null=True)


class RegistrantOutput(serializers.Serializer):
    enrollment = serializers.IntegerField(source="pk")
    registrant = serializers.IntegerField(source="registrant_id")
    name = serializers.CharField(source="registrant.name")
    email = serializers.EmailField(source="registrant.email")
    linked_patient = serializers.IntegerField(
        source="linked_patient_id",
        allow_null=True,
        help_text="The chart this registration was taken onto when it was opened with the registrant's address.",
    )
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    waitlist_rank = serializers.IntegerField(allow_null=True)
    fee_tier = serializers.CharField()
    attended = serializers.IntegerField()
    owed = serializers.DecimalField(max_digits=9, decimal_places=2)
    paid = serializers.DecimalField(max_digits=9, decimal_places=2)
    registered_at = serializers.DateTimeField(source="created_at")


class LectureRegisterInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    fee_tier = serializers.ChoiceField(
        choices=FeeTier.choices, required=False, default="", allow_blank=True, help_text="A sliding fee's price."
    )
    consent = serializers.BooleanField(help_text="Agrees to emails about this lecture series. Required.")


class LectureRegisterOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    status_label = serializers.CharField()
    waitlist_rank = serializers.IntegerField(allow_null=True, help_text="1 = next in line; null with a seat.")
    program_title = serializers.CharField()
    program_stage = serializers.ChoiceField(
        choices=ProgramStage.choices, help_text="proposed: the place is on the interest list, decided by decision_on."
    )
    decision_on = serializers.DateField(allow_null=True, help_text="When a proposed series is decided; else null.")


def _sheet(meeting) -> list[dict]:
    return [
        {
            "enrollment": e.pk,
            "patient": e.patient_id,
            "registrant": e.registrant_id,
            "patient_name": e.member_name,
            "status": record.status if record else None,
        }
        for e, record in selectors.meeting_attendance_sheet(meeting=meeting)
    ]


def _enrollment_data(enrollment_id: int, user) -> dict:
    return EnrollmentOutput(selectors.enrollments_visible_to(user=user).get(pk=enrollment_id)).data


# ---------------------------------------------------------------------------------------------------------------
# Views


class ProgramViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Group programs. Everyone signed in sees the catalogue; front desk and admins create and change programs."""

    serializer_class = ProgramOutput

    def get_queryset(self):
        return selectors.programs_visible_to(user=self.request.user).prefetch_related("co_facilitators")

    @extend_schema(request=ProgramInput, responses={201: ProgramOutput})
    def create(self, request):
        if not request.user.has_perm("programs.add_program"):
            raise PermissionDenied
        data = ProgramInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if fields["minimum_to_launch"] is not None or fields["decision_on"] is not None:
            fields.pop("override_reason")
            program = formation.program_propose(actor=request.user, **fields)
        else:
            del fields["minimum_to_launch"], fields["decision_on"]
            program = setup.program_create(actor=request.user, **fields)
        return Response(ProgramOutput(self.get_queryset().get(pk=program.pk)).data, status=status.HTTP_201_CREATED)

    def _proposed_action(self, request, input_class, call):
        program = self.get_object()
        if not request.user.has_perm("programs.change_program", program):
            raise PermissionDenied
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        call(program, data.validated_data)
        return Response(ProgramOutput(self.get_queryset().get(pk=program.pk)).data)

    @extend_schema(request=LaunchInput, responses=ProgramOutput)
    @action(detail=True, methods=["post"])
    def launch(self, request, pk=None):
        """Launch a proposed program: book its meetings and offer the seats to the interest list in order."""
        return self._proposed_action(
            request,
            LaunchInput,
            lambda program, data: formation.program_launch(program=program, actor=request.user, **data),
        )

    @extend_schema(request=CallOffInput, responses=ProgramOutput)
    @action(detail=True, methods=["post"], url_path="call-off")
    def call_off(self, request, pk=None):
        """Call off a proposed program; everyone on its list is given, and told, a next step."""
        return self._proposed_action(
            request,
            CallOffInput,
            lambda program, data: formation.program_call_off(program=program, actor=request.user, **data),
        )

    @extend_schema(request=DecisionInput, responses=ProgramOutput)
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        """Move a proposed program's decision date; the list is told the new date."""
        return self._proposed_action(
            request,
            DecisionInput,
            lambda program, data: formation.program_decision_move(program=program, actor=request.user, **data),
        )

    @extend_schema(request=ProgramChangeInput, responses=ProgramOutput)
    def partial_update(self, request, pk=None):
        """Change details or capacity. Raising the capacity offers the new seats to the waitlist at once."""
        program = self.get_object()
        if not request.user.has_perm("programs.change_program", program):
            raise PermissionDenied
        data = ProgramChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if changes:
            setup.program_update(actor=request.user, program=program, **changes)
        if "minimum_to_launch" in changes:
            formation.interest_minimum_announce(program=program)
        return Response(ProgramOutput(self.get_queryset().get(pk=program.pk)).data)

    @extend_schema(request=EnrollInput, responses={201: EnrollmentOutput})
    @action(detail=True, methods=["post"])
    def enroll(self, request, pk=None):
        """Take a free seat, or a place at the end of the waitlist. Patients enroll themselves; staff name the
        patient."""
        program = self.get_object()
        data = EnrollInput(data=request.data)
        data.is_valid(raise_exception=True)
        if request.user.has_perm("programs.enroll_patients"):
            if "patient" not in data.validated_data:
                raise serializers.ValidationError({"patient": ["Required."]})
            patient = get_object_or_404(patients_visible_to(user=request.user), pk=data.validated_data["patient"])
        elif request.user.has_perm("programs.enroll_self") and getattr(request.user, "patient", None):
            patient = request.user.patient
            if data.validated_data.get("patient", patient.pk) != patient.pk:
                raise PermissionDenied
        else:
            raise PermissionDenied
        enrollment = formation.program_join(actor=request.user, program=program, patient=patient)
        return Response(_enrollment_data(enrollment.pk, request.user), status=status.HTTP_201_CREATED)

    @extend_schema(responses=RegistrantOutput(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def registrants(self, request, pk=None):
        """Members of the public registered for a lecture series (seated, offered, waiting and past), with what
        they owe and have paid the clinic (at the door, or sent for a series by video)."""
        program = self.get_object()
        if not request.user.has_perm("programs.view_roster", program):
            raise PermissionDenied
        return Response(RegistrantOutput(lecture_selectors.program_registrants(program=program), many=True).data)

    @extend_schema(responses=MeetingOutput(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def meetings(self, request, pk=None):
        program = self.get_object()
        return Response(MeetingOutput(selectors.program_meetings(program=program), many=True).data)


class EnrollmentFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices, required=False, allow_blank=True)


class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Enrollments: patients see only their own; staff see the programs they run. `waitlist_rank` is the place in
    line (1 = next)."""

    serializer_class = EnrollmentOutput

    def get_queryset(self):
        qs = selectors.enrollments_visible_to(user=self.request.user)
        if program := self.request.query_params.get("program"):
            qs = qs.filter(program_id=program_id) if (program_id := id_or_none(program)) is not None else qs.none()
        if self.action == "list":
            filters = EnrollmentFilter(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            if wanted := filters.validated_data.get("status"):
                qs = qs.filter(status=wanted)
        return qs.order_by("program_id", "status", "waitlist_position", "created_at")

    @extend_schema(
        parameters=[OpenApiParameter("program", int), OpenApiParameter("status", str, enum=EnrollmentStatus.values)]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _act(self, request, service, **kwargs):
        enrollment = self.get_object()
        if not request.user.has_perm("programs.change_enrollment", enrollment):
            raise PermissionDenied
        service(actor=request.user, enrollment=enrollment, **kwargs)
        return Response(_enrollment_data(enrollment.pk, request.user))

    @extend_schema(request=WithdrawInput, responses=EnrollmentOutput)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Leave the program or the waitlist; a freed seat is offered to the next in line at once."""
        data = WithdrawInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(request, seats.enrollment_withdraw, reason=data.validated_data["reason"])

    @extend_schema(request=None, responses=EnrollmentOutput)
    @action(detail=True, methods=["post"], url_path="accept-offer")
    def accept_offer(self, request, pk=None):
        return self._act(request, seats.enrollment_accept_offer)

    @extend_schema(request=None, responses=EnrollmentOutput)
    @action(detail=True, methods=["post"], url_path="decline-offer")
    def decline_offer(self, request, pk=None):
        return self._act(request, seats.enrollment_decline_offer)

    @extend_schema(request=MoveInput, responses=EnrollmentOutput)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move someone to another place on the waitlist; the reason is recorded."""
        enrollment = self.get_object()
        if not request.user.has_perm("programs.reorder_waitlist"):
            raise PermissionDenied
        data = MoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        seats.enrollment_move(actor=request.user, enrollment=enrollment, **data.validated_data)
        return Response(_enrollment_data(enrollment.pk, request.user))


class ProgramMeetingViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A program meeting, and its attendance sheet for facilitators and the front desk."""

    serializer_class = MeetingOutput

    def get_queryset(self):
        programs = selectors.programs_visible_to(user=self.request.user).values("pk")
        return ProgramMeeting.objects.select_related("program", "appointment__room").filter(program__in=programs)

    @extend_schema(methods=["GET"], responses=AttendanceRowOutput(many=True))
    @extend_schema(methods=["POST"], request=AttendanceInput, responses=AttendanceRowOutput(many=True))
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def attendance(self, request, pk=None):
        """Who was expected and what was recorded. POST records attendance; attended meetings (and no-shows when
        the program charges them) are charged once at each patient's sliding-scale fee."""
        meeting = self.get_object()
        if not request.user.has_perm("programs.take_attendance", meeting.program):
            raise PermissionDenied
        if request.method == "POST":
            data = AttendanceInput(data=request.data)
            data.is_valid(raise_exception=True)
            enrollments = {e.pk: e for e in meeting.program.enrollments.select_related("patient", "registrant")}
            for row in data.validated_data["records"]:
                if row["enrollment"] not in enrollments:
                    raise serializers.ValidationError({"records": [f"Enrollment {row['enrollment']} is not here."]})
            attendance.attendance_record_many(
                actor=request.user,
                meeting=meeting,
                records=[(enrollments[r["enrollment"]], r["status"]) for r in data.validated_data["records"]],
            )
        return Response(_sheet(meeting))


class PublicLectureRegisterView(APIView):
    """Register for a lecture series open to the public: a name, an email and consent to emails about it; no
    account. 201 with a seat or a place in line (`waitlist_rank`), or for a proposed series a place on its interest
    list (`program_stage` "proposed", `decision_on`); 400 for a bad email; 409 when already registered (a
    patient's address registers like anyone's, paying the clinic directly: the answer never tells who is a patient);
    422 when the series did not launch, its interest list closed or its enrollment window is closed; 404 when it
    is not a lecture series. Rate-limited per address."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [LectureRegistrationThrottle]

    @extend_schema(request=LectureRegisterInput, responses={201: LectureRegisterOutput})
    def post(self, request, pk):
        program = get_object_or_404(GroupProgram.objects.filter(kind=ProgramKind.LECTURE), pk=pk)
        data = LectureRegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        enrollment = lectures.lecture_register(program=program, **data.validated_data)
        rank = lecture_selectors.waitlist_rank(enrollment)
        body = {
            "status": enrollment.status,
            "status_label": enrollment.get_status_display(),
            "waitlist_rank": rank,
            "program_title": program.title,
            "program_stage": enrollment.program.stage,
            "decision_on": enrollment.program.decision_on
            if enrollment.program.stage == ProgramStage.PROPOSED
            else None,
        }
        return Response(LectureRegisterOutput(body).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("public/lectures/<int:pk>/register/", PublicLectureRegisterView.as_view(), name="public-lecture-register"),
]


class StrandedItemViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The work queue: people waiting on a program's list with no next step (open items, oldest first)."""

    serializer_class = StrandedItemOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return selectors.stranded_work_queue().none()
        if not self.request.user.has_perm("programs.work_stranded_queue"):
            raise PermissionDenied
        return selectors.stranded_work_queue()

    @extend_schema(request=ResolveInput, responses=StrandedItemOutput)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Close the item with what was done for the person."""
        item = self.get_object()
        data = ResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = stranded.stranded_item_resolve(item=item, note=data.validated_data["note"], actor=request.user)
        return Response(StrandedItemOutput(item).data)


def register(router) -> None:
    # Before "programs", whose detail route would otherwise take "work-queue" for a program id.
    router.register("programs/work-queue", StrandedItemViewSet, basename="program-work-queue")
    router.register("programs", ProgramViewSet, basename="program")
    router.register("enrollments", EnrollmentViewSet, basename="enrollment")
    router.register("program-meetings", ProgramMeetingViewSet, basename="program-meeting")
