"""Notes API: templates, session notes (list, retrieve, create, update draft, sign, co-sign,
addenda), the author's own process notes and treatment plans. Lists never carry note or plan
text; every response that does is one access-log row, and every denied attempt is logged too."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.accounts.api_permissions import BrowserSessionOnly, StaffVerifiedMFA
from apps.core import clock
from apps.core.api_lookups import id_or_none
from apps.core.errors import NotFound
from apps.outcomes.instruments import INSTRUMENT_CHOICES
from apps.patients.selectors import narrowed_to_a_patient_seen, patient_get_for
from apps.scheduling.models import Appointment

from . import plan_selectors, plan_services, selectors, services
from .models import (
    ATTESTATION,
    COSIGN_ATTESTATION,
    GoalDirection,
    NoteStatus,
    NoteTemplate,
    PsychotherapyNote,
    TreatmentPlanStatus,
)
from .plan_content import MAX_GOALS, MAX_INTERVENTIONS, MAX_PROBLEMS, MAX_TEXT, OpenedPlan, plan_parts_decrypt
from .plan_progress import ProgressStatus


class NoteTemplateOutput(serializers.ModelSerializer):
    class Meta:
        model = NoteTemplate
        fields = ["id", "name", "kind", "description", "fields", "is_active"]


class NoteSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    appointment = serializers.IntegerField(source="appointment_id")
    session_start = serializers.DateTimeField(source="appointment.start")
    patient = serializers.IntegerField(source="patient_id")
    author = serializers.IntegerField(source="author_id")
    template = serializers.IntegerField(source="template_id")
    status = serializers.ChoiceField(choices=NoteStatus.choices)
    state = serializers.CharField(source="state_label")
    is_final = serializers.BooleanField()
    signed_at = serializers.DateTimeField(allow_null=True)
    attestation = serializers.CharField(help_text="What the signer attested to; empty until signed.")
    attested_at = serializers.DateTimeField(allow_null=True)
    cosign_required = serializers.BooleanField()
    cosigner = serializers.IntegerField(source="cosigner_id", allow_null=True)
    cosigned_at = serializers.DateTimeField(allow_null=True)
    cosign_attestation = serializers.CharField(
        help_text="What the co-signing supervisor attested to; empty until then."
    )
    cosign_attested_at = serializers.DateTimeField(allow_null=True)


class AddendumOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.IntegerField(source="author_id")
    created_at = serializers.DateTimeField()
    text = serializers.CharField()


class NoteDetailOutput(NoteSummaryOutput):
    content = serializers.DictField()
    addenda = AddendumOutput(many=True)


def _detail(opened: selectors.OpenedNote) -> dict:
    note = opened.note
    data = dict(NoteSummaryOutput(note).data)
    data["content"] = opened.content
    data["addenda"] = [
        {"id": a.pk, "author": a.author_id, "created_at": a.created_at.isoformat(), "text": text}
        for a, text in opened.addenda
    ]
    return data


class NoteCreateInput(serializers.Serializer):
    appointment = serializers.IntegerField()
    template = serializers.PrimaryKeyRelatedField(
        queryset=NoteTemplate.objects.all(),
        required=False,
        help_text="Default: intake for a first session, progress once the patient has a signed note.",
    )
    content = serializers.DictField(required=False, default=dict)


class SignInput(serializers.Serializer):
    attest = serializers.BooleanField(
        default=False, help_text=f"Must be true: the signer attests “{ATTESTATION}” (422 otherwise)."
    )


class CosignInput(serializers.Serializer):
    attest = serializers.BooleanField(
        default=False, help_text=f"Must be true: the supervisor attests “{COSIGN_ATTESTATION}” (422 otherwise)."
    )


class NoteUpdateInput(serializers.Serializer):
    content = serializers.DictField()
    template = serializers.PrimaryKeyRelatedField(queryset=NoteTemplate.objects.all(), required=False)


class AddendumInput(serializers.Serializer):
    text = serializers.CharField(max_length=20000, trim_whitespace=True)


class UnsignedSessionOutput(serializers.Serializer):
    appointment = serializers.IntegerField(source="pk")
    session_start = serializers.DateTimeField(source="start")
    patient = serializers.IntegerField(source="patient_id")
    patient_initials = serializers.CharField(source="patient.initials")
    note = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    def get_note(self, appointment) -> int | None:
        note = getattr(appointment, "session_note", None)
        return note.pk if note else None

    def get_overdue(self, appointment) -> bool:
        return selectors.is_overdue(appointment)


class NoteTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """Note templates (field definitions as data)."""

    serializer_class = NoteTemplateOutput
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return NoteTemplate.objects.none()
        if not self.request.user.has_perm("notes.view_templates"):
            raise PermissionDenied
        return selectors.templates_active()


def _narrowed(request, rows, *, action: str):
    patient_id = id_or_none(request.query_params.get("patient"))
    return narrowed_to_a_patient_seen(rows, user=request.user, patient_id=patient_id, action=action)


class NoteViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Session notes. Text is only in single-note answers; lists carry state, not content."""

    serializer_class = NoteSummaryOutput
    lookup_value_regex = r"\d+"
    error_statuses = {"create": {404}}  # the appointment in the body is not a session of the user's

    def get_queryset(self):
        qs = selectors.notes_visible_to(user=self.request.user)
        params = self.request.query_params
        for param, lookup in [("patient", "patient_id"), ("appointment", "appointment_id")]:
            value = params.get(param)
            if value is not None:
                qs = qs.filter(**{lookup: wanted}) if (wanted := id_or_none(value)) is not None else qs.none()
        qs = _narrowed(self.request, qs, action="note_list_view")
        if params.get("status") in NoteStatus.values:
            qs = qs.filter(status=params["status"])
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("patient", int),
            OpenApiParameter("appointment", int),
            OpenApiParameter("status", str, enum=NoteStatus.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        if not request.user.has_perm("notes.list_notes"):
            raise PermissionDenied
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=NoteDetailOutput)
    def retrieve(self, request, pk=None):
        return Response(_detail(selectors.note_open(user=request.user, note_id=pk)))

    @extend_schema(request=NoteCreateInput, responses={201: NoteDetailOutput})
    def create(self, request):
        data = NoteCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = (
            Appointment.objects.select_related("patient").filter(pk=data.validated_data["appointment"]).first()
        )
        if appointment is None or not request.user.has_perm("notes.add_note", appointment):
            raise NotFound("No such session of yours.")
        note = services.note_create(
            actor=request.user,
            appointment=appointment,
            template=data.validated_data.get("template"),
            content=data.validated_data["content"],
        )
        opened = selectors.note_open(user=request.user, note_id=note.pk)
        return Response(_detail(opened), status=status.HTTP_201_CREATED)

    @extend_schema(request=NoteUpdateInput, responses=NoteDetailOutput)
    def update(self, request, pk=None):
        note = selectors.note_get_for_action(
            user=request.user, note_id=pk, perm="notes.change_note", action="note_update"
        )
        data = NoteUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.note_update_draft(actor=request.user, note=note, **data.validated_data)
        return Response(_detail(selectors.note_open(user=request.user, note_id=note.pk)))

    @extend_schema(request=NoteUpdateInput, responses=NoteDetailOutput)
    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk)

    @extend_schema(request=SignInput, responses=NoteDetailOutput)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        note = selectors.note_get_for_action(user=request.user, note_id=pk, perm="notes.sign_note", action="note_sign")
        data = SignInput(data=request.data)
        data.is_valid(raise_exception=True)
        signed = services.note_sign(actor=request.user, note=note, attest=data.validated_data["attest"])
        return Response(_detail(selectors.note_open_signed(user=request.user, note=signed)))

    @extend_schema(request=CosignInput, responses=NoteDetailOutput)
    @action(detail=True, methods=["post"])
    def cosign(self, request, pk=None):
        note = selectors.note_get_for_action(
            user=request.user, note_id=pk, perm="notes.cosign_note", action="note_cosign"
        )
        data = CosignInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.note_cosign(actor=request.user, note=note, attest=data.validated_data["attest"])
        return Response(_detail(selectors.note_open(user=request.user, note_id=note.pk)))

    @extend_schema(request=AddendumInput, responses={201: AddendumOutput})
    @action(detail=True, methods=["post"])
    def addenda(self, request, pk=None):
        note = selectors.note_get_for_action(
            user=request.user, note_id=pk, perm="notes.add_addendum", action="addendum_add"
        )
        data = AddendumInput(data=request.data)
        data.is_valid(raise_exception=True)
        addendum = services.addendum_add(actor=request.user, note=note, text=data.validated_data["text"])
        body = {
            "id": addendum.pk,
            "author": addendum.author_id,
            "created_at": addendum.created_at.isoformat(),
            "text": data.validated_data["text"],
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses=UnsignedSessionOutput(many=True))
    @action(detail=False, methods=["get"])
    def unsigned(self, request):
        """The caller's sessions still without a signed note; `overdue` after 72 hours."""
        if not request.user.has_perm("notes.view_unsigned_queue"):
            raise PermissionDenied
        page = self.paginate_queryset(selectors.sessions_needing_notes(therapist=request.user))
        return self.get_paginated_response(UnsignedSessionOutput(page, many=True).data)


class ProcessNoteSummaryOutput(serializers.ModelSerializer):
    class Meta:
        model = PsychotherapyNote
        fields = ["id", "patient", "appointment", "created_at", "updated_at"]


class ProcessNoteOutput(ProcessNoteSummaryOutput):
    text = serializers.CharField()

    class Meta(ProcessNoteSummaryOutput.Meta):
        fields = [*ProcessNoteSummaryOutput.Meta.fields, "text"]


class ProcessNoteCreateInput(serializers.Serializer):
    patient = serializers.IntegerField()
    appointment = serializers.IntegerField(required=False, allow_null=True)
    text = serializers.CharField(max_length=20000)


class ProcessNoteUpdateInput(serializers.Serializer):
    text = serializers.CharField(max_length=20000)


def _process_output(note, text: str) -> dict:
    data = dict(ProcessNoteSummaryOutput(note).data)
    data["text"] = text
    return data


class ProcessNoteViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own psychotherapy (process) notes. Nobody else's ever appear: another
    person's process note answers 404, exactly like one that does not exist. Only the author's
    MFA-verified browser session is served; an API token is refused outright (403)."""

    serializer_class = ProcessNoteSummaryOutput
    permission_classes = [IsAuthenticated, StaffVerifiedMFA, BrowserSessionOnly]
    lookup_value_regex = r"\d+"
    error_statuses = {"create": {404}}  # no such patient or session as the body names

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return PsychotherapyNote.objects.none()
        if not self.request.user.has_perm("notes.list_notes"):
            raise PermissionDenied
        qs = selectors.process_notes_of(author=self.request.user)
        patient = self.request.query_params.get("patient")
        if patient is not None:
            qs = qs.filter(patient_id=wanted) if (wanted := id_or_none(patient)) is not None else qs.none()
        return _narrowed(self.request, qs, action="process_note_list_view")

    @extend_schema(parameters=[OpenApiParameter("patient", int)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=ProcessNoteOutput)
    def retrieve(self, request, pk=None):
        note, text = selectors.process_note_open(user=request.user, process_note_id=pk)
        return Response(_process_output(note, text))

    @extend_schema(request=ProcessNoteCreateInput, responses={201: ProcessNoteOutput})
    def create(self, request):
        if not request.user.has_perm("notes.list_notes"):
            raise PermissionDenied
        data = ProcessNoteCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient = patient_get_for(
            user=request.user,
            patient_id=data.validated_data["patient"],
            perm="notes.view_clinical_chart",
            action="process_note_create",
        )
        appointment = None
        if data.validated_data.get("appointment"):
            appointment = Appointment.objects.filter(pk=data.validated_data["appointment"]).first()
            if appointment is None:
                raise NotFound("No such session.")
        note = services.process_note_create(
            actor=request.user, patient=patient, appointment=appointment, text=data.validated_data["text"]
        )
        return Response(_process_output(note, data.validated_data["text"].strip()), status=status.HTTP_201_CREATED)

    @extend_schema(request=ProcessNoteUpdateInput, responses=ProcessNoteOutput)
    def update(self, request, pk=None):
        note = selectors.process_note_get_own(user=request.user, process_note_id=pk, action="process_note_update")
        data = ProcessNoteUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.process_note_update(actor=request.user, process_note=note, text=data.validated_data["text"])
        return Response(_process_output(note, data.validated_data["text"].strip()))

    @extend_schema(request=ProcessNoteUpdateInput, responses=ProcessNoteOutput)
    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk)

    def destroy(self, request, pk=None):
        note = selectors.process_note_get_own(user=request.user, process_note_id=pk, action="process_note_delete")
        services.process_note_delete(actor=request.user, process_note=note)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TreatmentPlanSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField(source="patient_id")
    author = serializers.IntegerField(source="author_id")
    status = serializers.ChoiceField(choices=TreatmentPlanStatus.choices)
    start_date = serializers.DateField()
    review_date = serializers.DateField()
    review_due = serializers.BooleanField(help_text="The plan in force has reached its review date.")
    signed_at = serializers.DateTimeField(allow_null=True)
    signed_by = serializers.IntegerField(source="signed_by_id", allow_null=True)
    superseded_at = serializers.DateTimeField(allow_null=True)
    superseded_by = serializers.IntegerField(source="superseded_by_id", allow_null=True)


class ScorePointOutput(serializers.Serializer):
    score = serializers.IntegerField()
    at = serializers.DateTimeField()


class GoalProgressOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ProgressStatus.choices)
    label = serializers.CharField()
    latest = ScorePointOutput(allow_null=True)
    baseline = ScorePointOutput(
        allow_null=True, help_text="The last score on or before the plan's start, else the first."
    )


class InterventionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()


class GoalOutput(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    measure = serializers.ChoiceField(choices=INSTRUMENT_CHOICES, allow_blank=True)
    target_score = serializers.IntegerField(allow_null=True)
    direction = serializers.ChoiceField(choices=GoalDirection.choices, allow_blank=True)
    target_date = serializers.DateField(allow_null=True)
    interventions = InterventionOutput(many=True)
    progress = GoalProgressOutput()


class ProblemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    goals = GoalOutput(many=True)


class TreatmentPlanDetailOutput(TreatmentPlanSummaryOutput):
    attestation = serializers.CharField()
    problems = ProblemOutput(many=True)
    interventions = InterventionOutput(many=True)


def _point(point) -> dict | None:
    return None if point is None else {"score": point.score, "at": point.at}


def _plan_detail(opened: OpenedPlan) -> dict:
    """The plan with its text and each goal's progress (plan_progress, as on the chart and the plan page)."""
    data = dict(TreatmentPlanSummaryOutput(opened.plan).data)
    data["attestation"] = opened.plan.attestation
    problems = [
        {
            "id": row.opened.problem.pk,
            "text": row.opened.text,
            "goals": [
                {
                    "id": goal.opened.goal.pk,
                    "description": goal.opened.description,
                    "measure": goal.opened.goal.measure,
                    "target_score": goal.opened.goal.target_score,
                    "direction": goal.opened.goal.direction,
                    "target_date": goal.opened.goal.target_date,
                    "interventions": [{"id": i.pk, "description": text} for i, text in goal.opened.interventions],
                    "progress": {
                        "status": goal.progress.status.value,
                        "label": goal.progress.label,
                        "latest": _point(goal.progress.latest),
                        "baseline": _point(goal.progress.baseline),
                    },
                }
                for goal in row.goals
            ],
        }
        for row in plan_selectors.plan_progress(opened=opened)
    ]
    interventions = [{"id": i.pk, "description": text} for i, text in opened.interventions]
    data["problems"] = ProblemOutput(problems, many=True).data
    data["interventions"] = InterventionOutput(interventions, many=True).data
    return data


def _text_list(max_length: int):
    return serializers.ListField(
        child=serializers.CharField(max_length=MAX_TEXT, allow_blank=True), max_length=max_length, default=list
    )


class GoalInput(serializers.Serializer):
    description = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, default="")
    measure = serializers.ChoiceField(choices=INSTRUMENT_CHOICES, allow_blank=True, default="")
    target_score = serializers.IntegerField(allow_null=True, default=None)
    direction = serializers.ChoiceField(choices=GoalDirection.choices, allow_blank=True, default="")
    target_date = serializers.DateField(allow_null=True, default=None)
    interventions = _text_list(MAX_INTERVENTIONS)


class ProblemInput(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, default="")
    goals = serializers.ListField(child=GoalInput(), max_length=MAX_GOALS, default=list)


class TreatmentPlanUpdateInput(serializers.Serializer):
    """Fields left out keep their current values; `problems` and `interventions` each replace the whole list."""

    start_date = serializers.DateField(required=False)
    review_date = serializers.DateField(required=False)
    problems = serializers.ListField(child=ProblemInput(), max_length=MAX_PROBLEMS, required=False)
    interventions = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TEXT, allow_blank=True), max_length=MAX_INTERVENTIONS, required=False
    )


class TreatmentPlanCreateInput(serializers.Serializer):
    patient = serializers.IntegerField()
    start_date = serializers.DateField(required=False, help_text="Defaults to today (the clinic's date).")
    review_date = serializers.DateField()
    problems = serializers.ListField(child=ProblemInput(), max_length=MAX_PROBLEMS, default=list)
    interventions = _text_list(MAX_INTERVENTIONS)


class TreatmentPlanSignInput(serializers.Serializer):
    attest = serializers.BooleanField(
        help_text=f"Must be true: the signer attests “{plan_services.PLAN_ATTESTATION}” (422 otherwise)."
    )


class TreatmentPlanViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Treatment plans. Text and progress are only in single-plan answers (each one access-logged); lists carry
    state and dates. Drafts are their author's; signed plans are read by the patient's treating therapists and the
    author's supervisor."""

    serializer_class = TreatmentPlanSummaryOutput
    lookup_value_regex = r"\d+"
    error_statuses = {"create": {404}}  # the patient in the body is not one the user treats

    def get_queryset(self):
        qs = plan_selectors.plans_visible_to(user=self.request.user)
        params = self.request.query_params
        patient = params.get("patient")
        if patient is not None:
            qs = qs.filter(patient_id=wanted) if (wanted := id_or_none(patient)) is not None else qs.none()
        qs = _narrowed(self.request, qs, action="plan_list_view")
        if params.get("status") in TreatmentPlanStatus.values:
            qs = qs.filter(status=params["status"])
        return qs.order_by("-start_date", "-pk")

    @extend_schema(
        parameters=[
            OpenApiParameter("patient", int),
            OpenApiParameter("status", str, enum=TreatmentPlanStatus.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        if not request.user.has_perm("notes.list_plans"):
            raise PermissionDenied
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=TreatmentPlanDetailOutput)
    def retrieve(self, request, pk=None):
        return Response(_plan_detail(plan_selectors.plan_open(user=request.user, plan_id=pk)))

    @extend_schema(request=TreatmentPlanCreateInput, responses={201: TreatmentPlanDetailOutput})
    def create(self, request):
        data = TreatmentPlanCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        patient = patient_get_for(
            user=request.user, patient_id=values["patient"], perm="notes.add_plan", action="plan_create"
        )
        plan = plan_services.plan_create(
            actor=request.user,
            patient=patient,
            start_date=values.get("start_date") or clock.local_now().date(),
            review_date=values["review_date"],
            content={"problems": values["problems"], "interventions": values["interventions"]},
        )
        opened = plan_selectors.plan_open(user=request.user, plan_id=plan.pk)
        return Response(_plan_detail(opened), status=status.HTTP_201_CREATED)

    @extend_schema(request=TreatmentPlanUpdateInput, responses=TreatmentPlanDetailOutput)
    def update(self, request, pk=None):
        plan = plan_selectors.plan_get_for_action(
            user=request.user, plan_id=pk, perm="notes.change_plan", action="plan_update"
        )
        data = TreatmentPlanUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        content = {key: values[key] for key in ("problems", "interventions") if key in values}
        if len(content) < 2:  # keep what the body leaves out; the answer below is the logged read
            content = plan_parts_decrypt(plan).content() | content
        plan_services.plan_update(
            actor=request.user,
            plan=plan,
            start_date=values.get("start_date", plan.start_date),
            review_date=values.get("review_date", plan.review_date),
            content=content,
        )
        return Response(_plan_detail(plan_selectors.plan_open(user=request.user, plan_id=plan.pk)))

    @extend_schema(request=TreatmentPlanUpdateInput, responses=TreatmentPlanDetailOutput)
    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk)

    @extend_schema(request=TreatmentPlanSignInput, responses=TreatmentPlanDetailOutput)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        plan = plan_selectors.plan_get_for_action(
            user=request.user, plan_id=pk, perm="notes.sign_plan", action="plan_sign"
        )
        data = TreatmentPlanSignInput(data=request.data)
        data.is_valid(raise_exception=True)
        plan_services.plan_sign(actor=request.user, plan=plan, attest=data.validated_data["attest"])
        return Response(_plan_detail(plan_selectors.plan_open(user=request.user, plan_id=plan.pk)))

    @extend_schema(responses=TreatmentPlanSummaryOutput(many=True))
    @action(detail=False, methods=["get"], url_path="review-due")
    def review_due(self, request):
        """The caller's signed plans that have reached their review date, the longest overdue first."""
        if not request.user.has_perm("notes.list_plans"):
            raise PermissionDenied
        page = self.paginate_queryset(plan_selectors.plan_review_due(therapist=request.user))
        return self.get_paginated_response(TreatmentPlanSummaryOutput(page, many=True).data)


def register(router) -> None:
    router.register("note-templates", NoteTemplateViewSet, basename="note-template")
    router.register("notes", NoteViewSet, basename="note")
    router.register("process-notes", ProcessNoteViewSet, basename="process-note")
    router.register("treatment-plans", TreatmentPlanViewSet, basename="treatment-plan")
