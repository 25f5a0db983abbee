"""Secure messages API.

GET/POST /api/message-threads/ lists the user's conversations or starts one (subject, text, optional therapist and
files, as JSON or multipart); GET/POST /api/message-threads/{id}/messages/ lists a conversation's messages (with
their text; a staff member's reading is access-logged) or replies; POST /api/message-threads/{id}/read/ marks the
other side's messages read; POST /api/message-threads/{id}/close/ closes it (staff); POST
/api/message-threads/{id}/hand-over/ hands a conversation with the clinic to the patient's therapist (front desk,
admins; 409 with the reason when it cannot go to them).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from apps.core.api_parsers import JSONParser
from apps.core.errors import NotFound
from apps.patients.selectors import patient_get_for

from . import selectors, services
from .models import MessageThread
from .rules import is_clinic_inbox_staff


class SecureThreadOutput(serializers.ModelSerializer):
    unread = serializers.IntegerField(read_only=True, help_text="Messages from the other side not opened yet.")
    with_clinic = serializers.BooleanField(read_only=True)
    subject = serializers.CharField(read_only=True)

    class Meta:
        model = MessageThread
        fields = [
            "id",
            "patient",
            "therapist",
            "with_clinic",
            "subject",
            "status",
            "last_message_at",
            "unread",
            "handed_over_at",
        ]
        extra_kwargs = {"handed_over_at": {"help_text": "When the clinic handed the conversation to the therapist."}}


class SecureThreadInput(serializers.Serializer):
    subject = serializers.CharField(max_length=200, allow_blank=True)
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    therapist = serializers.IntegerField(required=False, allow_null=True, help_text="A treating therapist's id.")
    patient = serializers.IntegerField(required=False, help_text="Staff writing first: the patient's id.")
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class SecureMessageInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class SecureAttachmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    name = serializers.CharField(source="download_name")


class SecureMessageOutput(serializers.Serializer):
    id = serializers.IntegerField(source="message.id")
    author = serializers.IntegerField(source="message.author_id")
    from_patient = serializers.BooleanField(source="message.from_patient")
    created_at = serializers.DateTimeField(source="message.created_at")
    read_at = serializers.DateTimeField(source="message.read_at", allow_null=True)
    text = serializers.CharField()
    attachments = SecureAttachmentOutput(many=True)


class SecureMessageReadOutput(serializers.Serializer):
    marked = serializers.IntegerField()


def _files(request) -> list:
    return request.FILES.getlist("attachments") if request.FILES else []


class MessageThreadViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The signed-in user's conversations: a patient's own, the clinic inbox for the front desk and admins, and a
    therapist's own when they take messages."""

    serializer_class = SecureThreadOutput
    lookup_value_regex = r"\d+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    error_statuses = {"create": {404}}  # a patient or therapist the user may not write to

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return MessageThread.objects.none()
        user = self.request.user
        if not (user.has_perm("messaging.use_portal_messages") or user.has_perm("messaging.view_inbox")):
            raise PermissionDenied("Messages are for patients, the front desk and therapists who take them.")
        return selectors.threads_visible_to(user=user)

    def _thread(self, pk) -> MessageThread:
        self.get_queryset()  # the role check
        return selectors.thread_get_for(user=self.request.user, thread_id=pk)

    @extend_schema(request=SecureThreadInput, responses={201: SecureThreadOutput})
    def create(self, request):
        self.get_queryset()
        data = SecureThreadInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = request.user
        patient = getattr(user, "patient", None) if user.has_perm("messaging.use_portal_messages") else None
        if patient is None:
            if values.get("patient") is None:
                raise NotFound("No such patient.")
            patient = patient_get_for(
                user=user, patient_id=values["patient"], perm="patients.view_patient", action="message_thread_start"
            )
        if values.get("therapist") is not None:
            therapist = selectors.therapist_by_id(values["therapist"])
            if therapist is None:
                raise NotFound("No such therapist.")
        else:
            # Staff outside the clinic inbox (a therapist who takes messages) write as themselves.
            therapist = user if user.is_clinic_staff and not is_clinic_inbox_staff(user) else None
        thread = services.thread_start(
            actor=user,
            patient=patient,
            therapist=therapist,
            subject=values["subject"],
            text=values["text"],
            attachments=_files(request),
        )
        output = selectors.threads_visible_to(user=user).get(pk=thread.pk)
        return Response(SecureThreadOutput(output).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], request=None, responses=SecureMessageOutput(many=True))
    @extend_schema(methods=["post"], request=SecureMessageInput, responses={201: SecureMessageOutput})
    @action(detail=True, methods=["get", "post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def messages(self, request, pk=None):
        thread = self._thread(pk)
        if request.method == "GET":
            return Response(
                SecureMessageOutput(selectors.thread_open(user=request.user, thread=thread), many=True).data
            )
        data = SecureMessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_post(
            actor=request.user, thread=thread, text=data.validated_data["text"], attachments=_files(request)
        )
        shown = selectors.MessageShown(message, data.validated_data["text"].strip(), list(message.attachments.all()))
        return Response(SecureMessageOutput(shown).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SecureMessageReadOutput)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        marked = services.messages_mark_read(actor=request.user, thread=self._thread(pk))
        return Response({"marked": marked})

    @extend_schema(request=None, responses=SecureThreadOutput)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        thread = services.thread_close(actor=request.user, thread=self._thread(pk))
        return Response(SecureThreadOutput(selectors.threads_visible_to(user=request.user).get(pk=thread.pk)).data)

    @extend_schema(request=None, responses=SecureThreadOutput)
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request, pk=None):
        thread = services.thread_hand_over(actor=request.user, thread=self._thread(pk))
        # The front desk no longer sees it among its conversations: its unread count is the therapist's to come.
        thread.unread = thread.messages.filter(from_patient=True, read_at__isnull=True).count()
        return Response(SecureThreadOutput(thread).data)


def register(router) -> None:
    router.register("message-threads", MessageThreadViewSet, basename="message-thread")
