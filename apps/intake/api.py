"""Intake packets API: GET /api/intake-packets/?patient= lists a patient's packets with each document's state (the
front desk and admins for anyone, a therapist for their patients, a patient their own); POST sends one."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from apps.core.api_lookups import id_or_none
from apps.core.errors import NotFound
from apps.patients.selectors import patient_get_for

from . import selectors, services
from .models import IntakeDocument, Packet


class PacketItemOutput(serializers.Serializer):
    document = serializers.IntegerField(source="document.pk")
    title = serializers.CharField(source="document.title")
    kind = serializers.CharField(source="document.kind")
    current_version = serializers.IntegerField(source="document.current_version.number")
    signed = serializers.BooleanField(
        help_text="Signed at the document's current version and, for a release of information, within the clinic's "
        "term for a release."
    )
    signature = serializers.IntegerField(allow_null=True, help_text="The newest signature's id, of any version.")
    signed_version = serializers.IntegerField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)


class PacketOutput(serializers.ModelSerializer):
    items = serializers.SerializerMethodField()
    complete = serializers.SerializerMethodField()

    class Meta:
        model = Packet
        fields = ["id", "patient", "sent_at", "sent_by", "source", "series", "complete", "items"]

    def _items(self, packet) -> list[dict]:
        statuses = {row.document.pk: row for row in self.context["statuses"]}
        rows = []
        for item in packet.items.all():
            row = statuses.get(item.document_id)
            if row is None:  # a retired document is no longer asked for
                continue
            signature = row.signature
            rows.append(
                {
                    "document": row.document,
                    "signed": row.is_signed,
                    "signature": signature.pk if signature else None,
                    "signed_version": signature.version.number if signature else None,
                    "signed_at": signature.signed_at if signature else None,
                }
            )
        return rows

    @extend_schema_field(PacketItemOutput(many=True))
    def get_items(self, packet) -> list[dict]:
        return PacketItemOutput(self._items(packet), many=True).data

    def get_complete(self, packet) -> bool:
        return all(row["signed"] for row in self._items(packet))


class PacketSentOutput(PacketOutput):
    notice = serializers.SerializerMethodField(
        help_text="What the patient still needs before they can sign, or that the forms were sent: the sentence the "
        "patient page shows."
    )

    class Meta(PacketOutput.Meta):
        fields = [*PacketOutput.Meta.fields, "notice"]

    def get_notice(self, packet) -> str:
        return selectors.packet_notice(packet=packet, patient=self.context["patient"]).text


class PacketInput(serializers.Serializer):
    patient = serializers.IntegerField()
    documents = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_empty=False,
        help_text="The documents to send; the standard packet when left out.",
    )


class PacketViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """One patient's intake packets, newest first, with each document's state; POST sends a packet."""

    serializer_class = PacketOutput
    pagination_class = None  # a patient has a handful of packets
    error_statuses = {"list": {404}, "create": {404}}  # a patient the user may not see

    def _patient(self, patient_id, *, action: str):
        if patient_id is None:
            raise NotFound("No such patient.")
        return patient_get_for(user=self.request.user, patient_id=patient_id, perm="intake.view_packets", action=action)

    def get_queryset(self):
        return Packet.objects.none()

    @extend_schema(parameters=[OpenApiParameter("patient", int, description="Staff: required. A patient: their own.")])
    def list(self, request, *args, **kwargs):
        patient_id = id_or_none(request.query_params.get("patient"))
        own = getattr(request.user, "patient", None)
        if patient_id is None and own is not None and request.user.is_patient:
            patient_id = own.pk
        patient = self._patient(patient_id, action="intake_packets_view")
        context = {"statuses": selectors.patient_documents(patient=patient)}
        return Response(PacketOutput(selectors.packets_of(patient=patient), many=True, context=context).data)

    @extend_schema(request=PacketInput, responses={201: PacketSentOutput})
    def create(self, request):
        data = PacketInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient = self._patient(data.validated_data["patient"], action="intake_packet_create")
        chosen = data.validated_data.get("documents")
        documents = list(IntakeDocument.objects.filter(pk__in=chosen)) if chosen is not None else None
        if chosen is not None and len(documents) != len(set(chosen)):
            raise NotFound("No such document.")
        packet = services.packet_send(actor=request.user, patient=patient, documents=documents)
        context = {"statuses": selectors.patient_documents(patient=patient), "patient": patient}
        packet = selectors.packets_of(patient=patient).get(pk=packet.pk)
        return Response(PacketSentOutput(packet, context=context).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("intake-packets", PacketViewSet, basename="intake-packet")
