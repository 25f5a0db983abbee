"""API for a patient's session packages: `/api/patients/<id>/packages/` lists them (with sessions remaining) and
sells one (POST {"offering": id}). Refused sales answer 409 with the reason: an offering no longer sold, a sliding
package for a patient without an approved assessment, or a second active package of the same offering. A sale sent
again with its Idempotency-Key answers the package it sold (200)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api_permissions import StaffVerifiedMFA
from apps.core.api_submissions import idempotency_key, idempotency_key_parameter
from apps.patients.models import Patient
from apps.patients.selectors import patient_get_for

from .models import PackageOffering, PackagePurchase
from .selectors.packages import packages_of
from .services.packages import package_purchase


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
