"""The message log over the API: read, and send a failed message again."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from apps.accounts.api_permissions import permissions_with
from apps.core.api_lookups import object_id

from . import selectors
from .delivery import message_resend
from .models import Channel, Message, MessageStatus


class MessageOutput(serializers.ModelSerializer):
    """The log's view of a message. The context (which holds the patient's signed links) is never exposed."""

    patient_name = serializers.CharField(source="patient.display_name", default=None, allow_null=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "patient",
            "patient_name",
            "recipient_user",
            "channel",
            "to_address",
            "purpose",
            "template",
            "status",
            "send_at",
            "sent_at",
            "attempts",
            "last_error",
            "provider_id",
            "provider_status",
            "created_at",
        ]


class MessageFilter(serializers.Serializer):
    patient = serializers.IntegerField(required=False, min_value=1)
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=50)
    status = serializers.ChoiceField(choices=MessageStatus.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)


class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Outbox messages for the front desk and admins; a failed one can be sent again."""

    serializer_class = MessageOutput
    permission_classes = permissions_with("notifications.view_messages")

    def get_queryset(self):
        if self.action != "list":
            return selectors.messages_visible_to(user=self.request.user)
        filters = MessageFilter(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        return selectors.message_log(
            user=self.request.user,
            patient_id=data.get("patient"),
            purpose=data.get("purpose", ""),
            status=data.get("status", ""),
            channel=data.get("channel", ""),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("patient", int),
            OpenApiParameter("purpose", str),
            OpenApiParameter("status", str, enum=MessageStatus.values),
            OpenApiParameter("channel", str, enum=Channel.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        message = selectors.message_get(user=request.user, message_id=object_id(pk, message="No such message."))
        return Response(MessageOutput(message).data)

    @extend_schema(request=None, responses=MessageOutput)
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        if not request.user.has_perm("notifications.resend_message"):
            raise PermissionDenied
        message = selectors.message_get(user=request.user, message_id=object_id(pk, message="No such message."))
        message = message_resend(actor=request.user, message=message)
        return Response(MessageOutput(message).data)


def register(router) -> None:
    router.register("messages", MessageViewSet, basename="message")
