"""API for a patient's session packages: `/api/patients/<id>/packages/` lists them (with sessions remaining) and
sells one (POST {"offering": id}). Refused sales answer 409 with the reason: an offering no longer sold, a sliding
package for a patient without an approved assessment, or a second active package of the same offering. A sale sent
again with its Idempotency-Key answers the package it sold (200).

`/api/packages/<id>/refund/` (POST {"reason": ...}) closes a package and credits its unused sessions, giving back
from payments what was paid above the balance, as the package's refund page does (the same service, under the same
locks and the payment refund's own check): sent again with its Idempotency-Key it answers the package it closed
(200), never a second refund; a package already closed by another request is refused (409)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api_permissions import StaffVerifiedMFA
from apps.core.api_lookups import object_id
from apps.core.api_submissions import idempotency_key, idempotency_key_parameter
from apps.patients.models import Patient
from apps.patients.selectors import patient_get_for

from .models import PackageOffering, PackagePurchase
from .selectors.packages import packages_of
from .services.packages import package_purchase, package_refund


class PackageOutput(serializers.ModelSerializer):
    offering_name = serializers.CharField(source="offering.name", read_only=True)
    service_code = serializers.CharField(source="service_type.code", read_only=True)
    sessions_remaining = serializers.IntegerField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = PackagePurchase
        fields = [
            "id",
            "patient",
            "offering",
            "offering_name",
            "service_code",
            "sessions_total",
            "sessions_used",
            "sessions_remaining",
            "full_price",
            "price",
            "class_code",
            "class_label",
            "charge",
            "purchased_on",
            "expires_on",
            "status",
            "status_label",
            "credited",
        ]


class PackageBuyInput(serializers.Serializer):
    offering = serializers.PrimaryKeyRelatedField(queryset=PackageOffering.objects.all())


class PatientPackagesView(APIView):
    permission_classes = [IsAuthenticated, StaffVerifiedMFA]

    def _patient(self, request, patient_id: int) -> Patient:
        return patient_get_for(
            user=request.user, patient_id=patient_id, perm="billing.view_ledger", action="billing_ledger_view"
        )

    @extend_schema(responses=PackageOutput(many=True))
    def get(self, request, patient_id: int):
        patient = self._patient(request, patient_id)
        return Response(PackageOutput(packages_of(patient=patient), many=True).data)

    @extend_schema(
        request=PackageBuyInput,
        parameters=[idempotency_key_parameter(noun="package sale", differs="patient or offering")],
        responses={
            201: OpenApiResponse(PackageOutput, description="Sold"),
            200: OpenApiResponse(PackageOutput, description="Sent again with its Idempotency-Key: as first sold"),
        },
    )
    def post(self, request, patient_id: int):
        patient = self._patient(request, patient_id)
        if not request.user.has_perm("billing.sell_package"):
            raise PermissionDenied
        data = PackageBuyInput(data=request.data)
        data.is_valid(raise_exception=True)
        purchase = package_purchase(
            actor=request.user,
            patient=patient,
            offering=data.validated_data["offering"],
            submission_key=idempotency_key(request),
        )
        return Response(PackageOutput(purchase).data, status=200 if purchase.replayed else 201)


class PackageRefundInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why the package is closed; kept on the credit.")


class PackageRefundView(APIView):
    permission_classes = [IsAuthenticated, StaffVerifiedMFA]

    @extend_schema(
        request=PackageRefundInput,
        parameters=[idempotency_key_parameter(noun="package refund", differs="package")],
        responses={
            201: OpenApiResponse(PackageOutput, description="Closed, its unused sessions credited"),
            200: OpenApiResponse(
                PackageOutput, description="Sent again with its Idempotency-Key: the package as that refund closed it"
            ),
        },
    )
    def post(self, request, pk):
        """Refund a package's unused sessions (billing). Refused: a package no longer active (409), a card refund to
        the patient still waiting for the provider or credit on account to settle first (409)."""
        # Refused before the package is looked up: who may not refund learns nothing of it.
        if not request.user.has_perm("billing.refund_package"):
            raise PermissionDenied
        purchase = (
            PackagePurchase.objects.select_related("offering", "service_type", "patient")
            .filter(pk=object_id(pk, message="No such package."))
            .first()
        )
        if purchase is None:
            raise NotFound("No such package.")
        patient_get_for(
            user=request.user, patient_id=purchase.patient_id, perm="billing.view_ledger", action="billing_ledger_view"
        )
        data = PackageRefundInput(data=request.data)
        data.is_valid(raise_exception=True)
        closed = package_refund(
            actor=request.user,
            purchase=purchase,
            reason=data.validated_data["reason"],
            submission_key=idempotency_key(request),
        )
        return Response(PackageOutput(closed).data, status=200 if closed.replayed else 201)
