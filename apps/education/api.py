"""Education library API.

GET/POST /api/education/items/ lists the library or adds an item (admins, therapists; JSON with a link, or
multipart with a file); POST /api/education/items/{id}/retire/ and /restore/.
GET/POST /api/patients/{id}/education/ lists a patient's assignments with progress, or assigns an item (a treating
therapist): 404 for a patient the caller may not see (as for a missing one), 403 for one they see but may not
share with (the front desk), 409 when the item is already open, 422 when retired. Either refusal is access-logged.
GET /api/education/assignments/ is the signed-in patient's list; POST .../{id}/done/ and .../{id}/undo/ mark it;
GET/POST .../{id}/entries/ reads (staff reading is access-logged) or writes journal entries from a prompt;
POST .../{id}/withdraw/ takes it off the list (a treating therapist).
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api_permissions import StaffVerifiedMFA
from apps.core.api_parsers import JSONParser
from apps.core.errors import PermissionDenied
from apps.patients.models import Patient
from apps.patients.selectors import patient_get_for

from . import selectors, services
from .models import Assignment, CareLevel, ItemKind, LibraryItem


class LibraryItemOutput(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    care_level_label = serializers.CharField(source="get_care_level_display", read_only=True)
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = LibraryItem
        fields = [
            "id",
            "title",
            "kind",
            "kind_label",
            "care_level",
            "care_level_label",
            "description",
            "link",
            "has_file",
            "file_kind",
            "file_size",
            "is_active",
        ]

    def get_has_file(self, item) -> bool:
        return bool(item.file)


class LibraryItemInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    care_level = serializers.ChoiceField(choices=CareLevel.choices, default=CareLevel.EDUCATION)
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    link = serializers.URLField(max_length=500, allow_blank=True, required=False, default="")
    file = serializers.FileField(required=False)


class EducationAssignmentOutput(serializers.ModelSerializer):
    item = LibraryItemOutput(read_only=True)
    assigned_by_name = serializers.CharField(source="assigned_by.full_name", read_only=True)
    is_done = serializers.BooleanField(read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    entry_count = serializers.IntegerField(read_only=True)
    last_entry_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "patient",
            "item",
            "assigned_by",
            "assigned_by_name",
            "created_at",
            "is_open",
            "is_done",
            "done_at",
            "withdrawn_at",
            "entry_count",
            "last_entry_at",
        ]


class AssignmentInput(serializers.Serializer):
    item = serializers.IntegerField(min_value=1)
    note = serializers.CharField(
        max_length=services.NOTE_MAX_LENGTH, allow_blank=True, required=False, default="", help_text="To the patient."
    )


class EntryInput(serializers.Serializer):
    text = serializers.CharField(max_length=services.ENTRY_MAX_LENGTH, allow_blank=True, trim_whitespace=False)


class EntryOutput(serializers.Serializer):
    id = serializers.IntegerField(source="entry.id")
    created_at = serializers.DateTimeField(source="entry.created_at")
    text = serializers.CharField()


class LibraryItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The library: admins and therapists read it, add, retire and restore items."""

    serializer_class = LibraryItemOutput
    lookup_value_regex = r"\d+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return LibraryItem.objects.none()
        if not self.request.user.has_perm("education.view_library"):
            raise PermissionDenied("The library is for admins and therapists.")
        return selectors.library_items()

    @extend_schema(request=LibraryItemInput, responses={201: LibraryItemOutput})
    def create(self, request):
        self.get_queryset()
        data = LibraryItemInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        item = services.library_item_create(actor=request.user, upload=values.pop("file", None), **values)
        return Response(LibraryItemOutput(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=LibraryItemOutput)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        item = services.library_item_retire(actor=request.user, item=self.get_object())
        return Response(LibraryItemOutput(item).data)

    @extend_schema(request=None, responses=LibraryItemOutput)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        item = services.library_item_restore(actor=request.user, item=self.get_object())
        return Response(LibraryItemOutput(item).data)


class PatientEducationView(APIView):
    """A patient's assignments with progress, for their treating therapists; a therapist assigns from here."""

    permission_classes = [IsAuthenticated, StaffVerifiedMFA]
    error_statuses = {"post": {404}}  # an item id that does not exist

    def _patient(self, request, patient_id: int, perm: str, action: str) -> Patient:
        refusal = PermissionDenied("Only a psychotherapist who treats this patient sees or shares their material.")
        return patient_get_for(user=request.user, patient_id=patient_id, perm=perm, action=action, refusal=refusal)

    @extend_schema(responses=EducationAssignmentOutput(many=True))
    def get(self, request, patient_id: int):
        patient = self._patient(request, patient_id, "education.view_progress", "education_progress_view")
        assignments = selectors.assignments_of_patient(patient=patient, open_only=False)
        return Response(EducationAssignmentOutput(assignments, many=True).data)

    @extend_schema(request=AssignmentInput, responses={201: EducationAssignmentOutput})
    def post(self, request, patient_id: int):
        patient = self._patient(request, patient_id, "education.assign", "education_assign")
        data = AssignmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = selectors.library_item_get(item_id=data.validated_data["item"])
        assignment = services.assignment_create(
            actor=request.user, patient=patient, item=item, note=data.validated_data["note"]
        )
        output = selectors.assignments_of_patient(patient=patient).get(pk=assignment.pk)
        return Response(EducationAssignmentOutput(output).data, status=status.HTTP_201_CREATED)


class AssignmentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The signed-in patient's assigned material, and the actions on one assignment."""

    serializer_class = EducationAssignmentOutput
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Assignment.objects.none()
        patient = getattr(self.request.user, "patient", None)
        if patient is None or not self.request.user.has_perm("education.work_own", patient):
            raise PermissionDenied("Your list of material is for patients; staff read it from the patient.")
        return selectors.assignments_of_patient(patient=patient)

    def _assignment(self, pk, perm: str = "education.read_entries") -> Assignment:
        return selectors.assignment_get_for(user=self.request.user, assignment_id=pk, perm=perm)

    @extend_schema(request=None, responses=EducationAssignmentOutput)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        services.assignment_mark_done(actor=request.user, assignment=self._assignment(pk), done=True)
        return Response(EducationAssignmentOutput(self._assignment(pk)).data)

    @extend_schema(request=None, responses=EducationAssignmentOutput)
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        services.assignment_mark_done(actor=request.user, assignment=self._assignment(pk), done=False)
        return Response(EducationAssignmentOutput(self._assignment(pk)).data)

    @extend_schema(request=None, responses=EducationAssignmentOutput)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        services.assignment_withdraw(actor=request.user, assignment=self._assignment(pk))
        return Response(EducationAssignmentOutput(self._assignment(pk)).data)

    @extend_schema(methods=["get"], request=None, responses=EntryOutput(many=True))
    @extend_schema(methods=["post"], request=EntryInput, responses={201: EntryOutput})
    @action(detail=True, methods=["get", "post"])
    def entries(self, request, pk=None):
        assignment = self._assignment(pk)
        if request.method == "GET":
            shown = selectors.entries_open(user=request.user, assignment=assignment)
            return Response(EntryOutput(shown, many=True).data)
        data = EntryInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.prompt_entry_write(actor=request.user, assignment=assignment, text=data.validated_data["text"])
        shown = selectors.EntryShown(entry, data.validated_data["text"].strip())
        return Response(EntryOutput(shown).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("education/items", LibraryItemViewSet, basename="education-item")
    router.register("education/assignments", AssignmentViewSet, basename="education-assignment")


urlpatterns = [
    path("patients/<int:patient_id>/education/", PatientEducationView.as_view(), name="patient-education"),
]
