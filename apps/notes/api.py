"""Notes API: templates, session notes (list, retrieve, create, update draft, sign, co-sign,
addenda) and the author's own process notes. Lists never carry note text; every response that
does is one access-log row, and every denied attempt is logged too."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.accounts.api_permissions import BrowserSessionOnly, StaffVerifiedMFA
from apps.core.api_lookups import id_or_none
from apps.core.errors import NotFound
from apps.patients.models import Patient
from apps.scheduling.models import Appointment

from . import selectors, services
from .models import ATTESTATION, NoteStatus, NoteTemplate, PsychotherapyNote
from .rules import can


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
        if not can(self.request.user, "notes.view_templates"):
            raise PermissionDenied
        return selectors.templates_active()


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
        if not can(request.user, "notes.list_notes"):
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
        if appointment is None or not can(request.user, "notes.add_note", appointment):
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
        services.note_sign(actor=request.user, note=note, attest=data.validated_data["attest"])
        return Response(_detail(selectors.note_open(user=request.user, note_id=note.pk)))

    @extend_schema(request=None, responses=NoteDetailOutput)
    @action(detail=True, methods=["post"])
    def cosign(self, request, pk=None):
        note = selectors.note_get_for_action(
            user=request.user, note_id=pk, perm="notes.cosign_note", action="note_cosign"
        )
        services.note_cosign(actor=request.user, note=note)
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
        if not can(request.user, "notes.view_unsigned_queue"):
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
        if not can(self.request.user, "notes.list_notes"):
            raise PermissionDenied
        qs = selectors.process_notes_of(author=self.request.user)
        patient = self.request.query_params.get("patient")
        if patient is not None:
            qs = qs.filter(patient_id=wanted) if (wanted := id_or_none(patient)) is not None else qs.none()
        return qs

    @extend_schema(parameters=[OpenApiParameter("patient", int)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=ProcessNoteOutput)
    def retrieve(self, request, pk=None):
        note, text = selectors.process_note_open(user=request.user, process_note_id=pk)
        return Response(_process_output(note, text))

    @extend_schema(request=ProcessNoteCreateInput, responses={201: ProcessNoteOutput})
    def create(self, request):
        if not can(request.user, "notes.list_notes"):
            raise PermissionDenied
        data = ProcessNoteCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient = Patient.objects.filter(pk=data.validated_data["patient"]).first()
        if patient is None:
            raise NotFound("No such patient.")
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


def register(router) -> None:
    router.register("note-templates", NoteTemplateViewSet, basename="note-template")
    router.register("notes", NoteViewSet, basename="note")
    router.register("process-notes", ProcessNoteViewSet, basename="process-note")
