"""Billing API: the public fee quote, assessments, the ledger, statements and the payment webhook."""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api_permissions import StaffVerifiedMFA
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.audit.services import access_log_write
from apps.core.api_lookups import MAX_ID_DIGITS, object_id
from apps.core.api_money import MoneyInput
from apps.core.api_submissions import idempotency_key, idempotency_key_parameter
from apps.core.errors import NotFound
from apps.patients.models import Patient
from apps.patients.selectors import patient_get_for
from apps.scheduling.models import ServiceType

from . import pricing
from .models import (
    AssessmentStatus,
    Charge,
    GoodFaithEstimate,
    Payment,
    PaymentMethod,
    PaymentPlan,
    SlidingScaleAssessment,
    Statement,
)
from .package_api import PackageRefundView, PatientPackagesView
from .payments import payment_backend
from .selectors.assessments import assessment_incomes_shown
from .selectors.diagnoses import DIAGNOSIS_STATUS_LABELS, billing_diagnoses
from .selectors.estimates import estimates_visible_to
from .selectors.ledger import patient_balance, statement_body
from .services.assessments import (
    EFFECTIVE_FROM_REACH,
    assessment_approve,
    assessment_override_set,
    assessment_reject,
    assessment_submit,
)
from .services.checkout import provider_event_apply
from .services.diagnoses import diagnoses_confirm
from .services.estimates import gfe_issue_on_request
from .services.payments import payment_record, payment_refund_ask
from .throttles import QuoteThrottle
from .uploads import validate_proof_of_income

# --- quote -------------------------------------------------------------------------------------------------------


class QuoteInput(serializers.Serializer):
    household_size = serializers.IntegerField(min_value=1, max_value=20)
    annual_income = MoneyInput(max_digits=11, min_value=0)


class QuoteServiceOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    is_group = serializers.BooleanField()
    full_fee = serializers.DecimalField(max_digits=9, decimal_places=2)
    fee = serializers.DecimalField(max_digits=9, decimal_places=2)


class QuoteOutput(serializers.Serializer):
    date = serializers.DateField()
    guideline_year = serializers.IntegerField()
    guideline_amount = serializers.DecimalField(max_digits=11, decimal_places=2)
    # Wider than the stored numeric(8, 2): the largest income a quote accepts is ~6,400,000% of a guideline.
    percent_of_guideline = serializers.DecimalField(max_digits=12, decimal_places=2)
    class_code = serializers.CharField()
    class_label = serializers.CharField()
    nominal_fee = serializers.DecimalField(max_digits=9, decimal_places=2)
    late_cancel_fee = serializers.DecimalField(max_digits=9, decimal_places=2)
    services = QuoteServiceOutput(many=True)


class QuoteView(APIView):
    """What will I pay? Anyone may ask; nothing about the asker is stored."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [QuoteThrottle]
    throttle_scope = "quote"
    error_statuses = {"get": {422}}  # no fee schedule or poverty guideline in force on the day

    @extend_schema(parameters=[QuoteInput], responses=QuoteOutput)
    def get(self, request):
        data = QuoteInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        return Response(QuoteOutput(pricing.quote(**data.validated_data)).data)


# --- assessments -------------------------------------------------------------------------------------------------


class AssessmentOutput(serializers.ModelSerializer):
    patient_name = serializers.CharField(source="patient.display_name", read_only=True)

    class Meta:
        model = SlidingScaleAssessment
        fields = [
            "id",
            "patient",
            "patient_name",
            "status",
            "class_code",
            "class_label",
            "effective_from",
            "expires_on",
            "rejection_reason",
            "override_fee",
            "reviewed_at",
            "created_at",
        ]


class AssessmentIncomeOutput(AssessmentOutput):
    class Meta(AssessmentOutput.Meta):
        fields = [
            *AssessmentOutput.Meta.fields,
            "household_size",
            "annual_income",
            "guideline_year",
            "percent_of_guideline",
            "override_reason",
        ]


MAX_ID = 10**MAX_ID_DIGITS - 1


class AssessmentInput(serializers.Serializer):
    patient = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Staff: the patient. Patients: omit."
    )
    household_size = serializers.IntegerField(min_value=1, max_value=20)
    annual_income = MoneyInput(max_digits=11, min_value=0)
    proof = serializers.FileField(required=False, validators=[validate_proof_of_income])


class PatientFilter(serializers.Serializer):
    """`?patient=`: a list narrowed to one patient's rows; anything but an id is refused (400)."""

    patient = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Only this patient's rows (billing, front desk)."
    )


class AssessmentFilter(PatientFilter):
    status = serializers.ChoiceField(choices=AssessmentStatus.choices, required=False, allow_blank=True)


class ApproveInput(serializers.Serializer):
    effective_from = serializers.DateField(required=False, validators=[EFFECTIVE_FROM_REACH])
    override_fee = MoneyInput(min_value=0, required=False)
    override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class OverrideInput(serializers.Serializer):
    fee = MoneyInput(min_value=0)
    reason = serializers.CharField(max_length=300)


class RejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


def _own_patient(user) -> Patient | None:
    return getattr(user, "patient", None) if user.has_role(Role.PATIENT) else None


def _assessment_outputs(user, assessments) -> list[dict]:
    """The answers for `assessments`, with incomes for those the user may see, each such read access-logged."""
    with_income = [a for a in assessments if user.has_perm("billing.view_patient_income", a.patient)]
    shown = {a.pk for a in with_income}
    assessment_incomes_shown(user=user, assessments=with_income)
    return [(AssessmentIncomeOutput if a.pk in shown else AssessmentOutput)(a).data for a in assessments]


def _assessment_output(user, assessment) -> dict:
    return _assessment_outputs(user, [assessment])[0]


class AssessmentViewSet(viewsets.GenericViewSet):
    """Sliding-scale applications. Billing sees every one with incomes; a patient sees only their own."""

    serializer_class = AssessmentOutput
    queryset = SlidingScaleAssessment.objects.none()
    error_statuses = {"create": {404}}  # staff name a patient they may not see

    def _visible(self):
        user = self.request.user
        qs = SlidingScaleAssessment.objects.select_related("patient")
        if user.has_perm("billing.review_assessment"):
            return qs
        patient = _own_patient(user)
        if patient is not None:
            return qs.filter(patient=patient)
        raise PermissionDenied

    def _get(self, pk) -> SlidingScaleAssessment:
        assessment = self._visible().filter(pk=object_id(pk, message="No such assessment.")).first()
        if assessment is None:
            raise NotFound("No such assessment.")
        return assessment

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=AssessmentStatus.values),
            OpenApiParameter("patient", int, description="Only this patient's applications"),
        ],
        responses=AssessmentIncomeOutput(many=True),
    )
    def list(self, request):
        """Every application the user may see, or (`?patient=`, as on the ledger lists) one patient's; a `patient`
        that is not an id is refused (400), never read as "every patient"."""
        filters = AssessmentFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = self._visible()
        if wanted := filters.validated_data.get("status"):
            qs = qs.filter(status=wanted)
        if (patient_id := filters.validated_data.get("patient")) is not None:
            qs = qs.filter(patient_id=patient_id)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(_assessment_outputs(request.user, page))

    @extend_schema(responses=AssessmentIncomeOutput)
    def retrieve(self, request, pk=None):
        return Response(_assessment_output(request.user, self._get(pk)))

    @extend_schema(request=AssessmentInput, responses=AssessmentIncomeOutput)
    def create(self, request):
        data = AssessmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient_id = data.validated_data.get("patient")
        if patient_id is None:
            patient = _own_patient(request.user)
            if patient is None or not request.user.has_perm("billing.apply_assessment", patient):
                raise PermissionDenied
        else:
            patient = patient_get_for(
                user=request.user,
                patient_id=patient_id,
                perm="billing.apply_assessment",
                action="sliding_scale_assessment_create",
                refusal=PermissionDenied("Only billing, or the patient themselves, applies for a sliding-scale fee."),
            )
        assessment = assessment_submit(
            actor=request.user,
            patient=patient,
            household_size=data.validated_data["household_size"],
            annual_income=data.validated_data["annual_income"],
            proof=data.validated_data.get("proof"),
        )
        return Response(_assessment_output(request.user, assessment), status=201)

    def _review(self, request, pk, input_class, service):
        """A reviewer's decision on one assessment: the permission first, then the input, then the service."""
        if not request.user.has_perm("billing.review_assessment"):
            raise PermissionDenied
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = service(actor=request.user, assessment=self._get(pk), **data.validated_data)
        return Response(_assessment_output(request.user, assessment))

    @extend_schema(request=ApproveInput, responses=AssessmentIncomeOutput)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._review(request, pk, ApproveInput, assessment_approve)

    @extend_schema(request=OverrideInput, responses=AssessmentIncomeOutput)
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        """Fix the per-session fee of an approved assessment, with a reason; the approver is recorded."""
        return self._review(request, pk, OverrideInput, assessment_override_set)

    @extend_schema(request=RejectInput, responses=AssessmentIncomeOutput)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._review(request, pk, RejectInput, assessment_reject)


# --- ledger ------------------------------------------------------------------------------------------------------


class ChargePackageOutput(serializers.Serializer):
    purchase = serializers.IntegerField()
    session_number = serializers.IntegerField(allow_null=True, help_text="Empty on the package's own charge.")
    sessions_total = serializers.IntegerField()
    sessions_remaining = serializers.IntegerField(help_text="Left on the package today.")


class ChargeOutput(serializers.ModelSerializer):
    service_code = serializers.CharField(source="service_type.code", read_only=True)
    description = serializers.CharField(source="description_shown", read_only=True)
    package = serializers.SerializerMethodField(help_text="The package this charge sold, or that covered this session.")

    class Meta:
        model = Charge
        fields = [
            "id",
            "patient",
            "kind",
            "appointment",
            "service_code",
            "service_date",
            "description",
            "full_fee",
            "amount",
            "class_code",
            "class_label",
            "posted_at",
            "package",
        ]

    @extend_schema_field(ChargePackageOutput(allow_null=True))
    def get_package(self, charge) -> dict | None:
        covered = getattr(charge, "package_session", None)
        purchase = covered.purchase if covered is not None else getattr(charge, "package_purchase", None)
        if purchase is None:
            return None
        return {
            "purchase": purchase.pk,
            "session_number": covered.number if covered is not None else None,
            "sessions_total": purchase.sessions_total,
            "sessions_remaining": purchase.sessions_remaining,
        }


class PaymentOutput(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "patient",
            "method",
            "amount",
            "received_at",
            "reference",
            "receipt_number",
            "refund_of",
            "note",
            "credit_on_account",
            "plan",
        ]


class PaymentInput(serializers.Serializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
    method = serializers.ChoiceField(choices=[PaymentMethod.CASH, PaymentMethod.CHECK, PaymentMethod.CARD_PRESENT])
    amount = MoneyInput(min_value=0)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    credit_on_account = serializers.BooleanField(
        required=False, default=False, help_text="Keep an amount above the balance as credit; else it is refused (422)."
    )
    plan = serializers.PrimaryKeyRelatedField(
        queryset=PaymentPlan.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The patient's active payment plan, when the payment is made against it.",
    )


class RefundInput(serializers.Serializer):
    amount = MoneyInput(min_value=0, help_text="What to give back: at most what is left to refund on the payment.")
    reason = serializers.CharField(max_length=300)


class RefundOutput(serializers.Serializer):
    """A refund asked for: posted (`refunded`, with its reversing row), or, for a card payment taken online, waiting
    for the card provider (`waiting`, no row yet)."""

    payment = serializers.IntegerField(source="payment.pk", help_text="The payment refunded.")
    amount = serializers.DecimalField(max_digits=9, decimal_places=2)
    status = serializers.SerializerMethodField()
    card_refund = serializers.IntegerField(
        source="card_refund.pk", allow_null=True, default=None, help_text="The card refund request, for a card payment."
    )
    refund = PaymentOutput(allow_null=True, help_text="The reversing row, once posted.")

    @extend_schema_field(serializers.ChoiceField(choices=["refunded", "waiting"]))
    def get_status(self, asked) -> str:
        return "waiting" if asked.waiting else "refunded"


class StatementOutput(serializers.ModelSerializer):
    amount_due = serializers.DecimalField(
        max_digits=11,
        decimal_places=2,
        read_only=True,
        help_text="What the statement asks for: the payment plan's next installment, else the balance at issue "
        "(0.00 when nothing was owed).",
    )
    pay_by = serializers.DateField(read_only=True)

    class Meta:
        model = Statement
        fields = [
            "id",
            "patient",
            "period_start",
            "period_end",
            "opening_balance",
            "closing_balance",
            "issued_at",
            "balance_at_issue",
            "instalment_due",
            "instalment_due_on",
            "amount_due",
            "pay_by",
        ]


class StatementLineOutput(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=["charge", "payment", "refund", "adjustment"])
    description = serializers.CharField()
    amount = serializers.DecimalField(max_digits=11, decimal_places=2, help_text="Positive raises the balance.")
    after_period = serializers.BooleanField(
        help_text="Posted after the month ended, up to the statement's issue (listed after the month's balance)."
    )


class StatementDetailOutput(StatementOutput):
    """One statement with the lines it lists, read as its portal page and PDF read them: every charge, payment,
    refund and adjustment is on exactly one statement, and the opening balance plus the lines make the closing
    balance (for statements issued before that rule, the lines after the month make the balance at issue)."""

    balance_at_period_end = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()

    class Meta(StatementOutput.Meta):
        fields = [*StatementOutput.Meta.fields, "balance_at_period_end", "lines"]

    def _body(self, statement):
        if getattr(statement, "_body", None) is None:
            statement._body = statement_body(statement=statement)
        return statement._body

    @extend_schema_field(serializers.DecimalField(max_digits=11, decimal_places=2, allow_null=True))
    def get_balance_at_period_end(self, statement):
        balance = self._body(statement).balance_at_period_end
        return None if balance is None else f"{balance:.2f}"

    @extend_schema_field(StatementLineOutput(many=True))
    def get_lines(self, statement) -> list[dict]:
        body = self._body(statement)
        listed = [(line, False) for line in body.lines] + [(line, True) for line in body.lines_after]
        return [
            StatementLineOutput(
                {
                    "date": line.date,
                    "kind": line.kind,
                    "description": line.description,
                    "amount": line.amount,
                    "after_period": after,
                }
            ).data
            for line, after in listed
        ]


class LedgerViewSetMixin:
    """A ledger list for billing and the front desk (all, or ?patient=), or a patient's own rows. A `patient` that
    is not an id is refused (400), never read as "every patient"."""

    model = None

    @extend_schema(parameters=[PatientFilter])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        user = self.request.user
        qs = self.model.objects.all()
        query = PatientFilter(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        if user.has_perm("billing.list_balances"):
            wanted = query.validated_data.get("patient")
            return qs.filter(patient_id=wanted) if wanted is not None else qs
        patient = _own_patient(user)
        if patient is None:
            raise PermissionDenied
        return qs.filter(patient=patient)


class ChargeViewSet(LedgerViewSetMixin, viewsets.ReadOnlyModelViewSet):
    model = Charge
    serializer_class = ChargeOutput

    def get_queryset(self):
        return super().get_queryset().select_related("service_type", "package_purchase", "package_session__purchase")


IDEMPOTENCY_KEY = idempotency_key_parameter(noun="payment", differs="patient, method, amount or reference")
REFUND_KEY = idempotency_key_parameter(noun="refund", differs="payment or amount")


class PaymentViewSet(LedgerViewSetMixin, viewsets.ReadOnlyModelViewSet):
    model = Payment
    serializer_class = PaymentOutput

    @extend_schema(
        request=PaymentInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: OpenApiResponse(PaymentOutput, description="Recorded"),
            200: OpenApiResponse(PaymentOutput, description="Sent again with its Idempotency-Key: as first recorded"),
        },
    )
    def create(self, request):
        if not request.user.has_perm("billing.record_payment"):
            raise PermissionDenied
        data = PaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        payment = payment_record(actor=request.user, submission_key=idempotency_key(request), **data.validated_data)
        return Response(PaymentOutput(payment).data, status=200 if payment.replayed else 201)

    @extend_schema(
        request=RefundInput,
        parameters=[REFUND_KEY],
        responses={
            201: OpenApiResponse(RefundOutput, description="Refunded"),
            202: OpenApiResponse(RefundOutput, description="Asked of the card provider, whose answer has not come"),
            200: OpenApiResponse(
                RefundOutput,
                description="The same refund sent again (its Idempotency-Key, or without one a card refund of the "
                "same amount still waiting): that refund as it stands, waiting or refunded, never a second one",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        """Give back part or all of a payment (billing). A card payment taken online is refunded through the card
        provider; more than is left to refund (a card refund still waiting counts as given) is refused (422)."""
        if not request.user.has_perm("billing.refund_payment"):
            raise PermissionDenied
        payment = Payment.objects.filter(pk=object_id(pk, message="No such payment.")).first()
        if payment is None:
            raise NotFound("No such payment.")
        data = RefundInput(data=request.data)
        data.is_valid(raise_exception=True)
        asked = payment_refund_ask(
            actor=request.user, payment=payment, submission_key=idempotency_key(request), **data.validated_data
        )
        status = 200 if asked.replayed else 202 if asked.waiting else 201
        return Response(RefundOutput(asked).data, status=status)


class StatementViewSet(LedgerViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Statements; one statement (`/api/statements/<id>/`) also lists its lines, as its page and PDF do."""

    model = Statement
    serializer_class = StatementOutput

    def get_serializer_class(self):
        return StatementDetailOutput if self.action == "retrieve" else StatementOutput

    @extend_schema(responses=StatementDetailOutput)
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


# --- Good Faith Estimates and diagnoses ---------------------------------------------------------------------------


class EstimateLineOutput(serializers.Serializer):
    service_type_id = serializers.IntegerField()
    cpt = serializers.CharField()
    description = serializers.CharField()
    fee = serializers.DecimalField(max_digits=9, decimal_places=2)
    expected_count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=11, decimal_places=2)
    therapist_id = serializers.IntegerField(allow_null=True)
    provider_name = serializers.CharField(allow_blank=True)
    provider_npi = serializers.CharField(allow_blank=True)
    provider_license = serializers.CharField(allow_blank=True)


class EstimateClinicOutput(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    address = serializers.CharField(allow_blank=True)
    tax_id = serializers.CharField(allow_blank=True)
    npi = serializers.CharField(allow_blank=True)


class EstimateOutput(serializers.ModelSerializer):
    """A Good Faith Estimate as issued: its lines, total and the clinic's identifiers of the day of issue."""

    reason_label = serializers.CharField(source="get_reason_display", read_only=True)
    replaced_by = serializers.SerializerMethodField()
    lines = EstimateLineOutput(many=True, read_only=True)
    clinic = EstimateClinicOutput(read_only=True)

    class Meta:
        model = GoodFaithEstimate
        fields = [
            "id",
            "patient",
            "reason",
            "reason_label",
            "replaces",
            "replaced_by",
            "class_code",
            "class_label",
            "period_start",
            "period_end",
            "lines",
            "total",
            "clinic",
            "issued_at",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_replaced_by(self, estimate) -> int | None:
        replacement = getattr(estimate, "replaced_by", None)  # the reverse side raises AttributeError when absent
        return replacement.pk if replacement else None


class EstimateRequestInput(serializers.Serializer):
    """An estimate a patient asked for. Unknown ids are a 400; what the clinic cannot estimate (a group or retired
    service, a provider of another discipline, a period or count out of bounds, no fee) a 422 naming the field."""

    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
    service_type = serializers.PrimaryKeyRelatedField(queryset=ServiceType.objects.all())
    therapist = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.select_related("therapist_profile"),
        required=False,
        allow_null=True,
        default=None,
        help_text="Leave empty when the clinic will assign one.",
    )
    expected_count = serializers.IntegerField(help_text="Expected sessions in the period, at most one a day.")
    period_start = serializers.DateField(help_text="From today to a year ahead.")
    period_end = serializers.DateField(help_text="On or after the start, within 12 months of it.")


class EstimateViewSet(viewsets.ReadOnlyModelViewSet):
    """Good Faith Estimates: billing, admins and the front desk read every patient's (`?patient=` for one), a
    patient their own, and the first three issue one a patient asked for. The same selector feeds the staff and
    portal pages, and the same service issues from the account page."""

    serializer_class = EstimateOutput
    queryset = GoodFaithEstimate.objects.none()  # typed for the schema; get_queryset scopes to the user
    lookup_value_regex = rf"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GoodFaithEstimate.objects.none()
        user = self.request.user
        if not user.has_perm("billing.view_estimates") and _own_patient(user) is None:
            raise PermissionDenied
        qs = estimates_visible_to(user=user)
        if self.action == "list":
            filters = PatientFilter(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            if (patient_id := filters.validated_data.get("patient")) is not None:
                qs = qs.filter(patient_id=patient_id)
        return qs

    @extend_schema(parameters=[OpenApiParameter("patient", int, description="Only this patient's estimates")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=EstimateRequestInput, responses={201: EstimateOutput})
    def create(self, request):
        """Issue the Good Faith Estimate a patient asked for, priced as booking the same care would be."""
        if not request.user.has_perm("billing.issue_estimate"):
            raise PermissionDenied
        data = EstimateRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        estimate = gfe_issue_on_request(actor=request.user, **data.validated_data)
        return Response(EstimateOutput(estimate).data, status=201)


class DiagnosisOutput(serializers.Serializer):
    code = serializers.CharField(help_text="ICD-10 code")
    status = serializers.ChoiceField(choices=list(DIAGNOSIS_STATUS_LABELS.items()))
    status_label = serializers.CharField()
    pointer = serializers.CharField(
        allow_blank=True, help_text="The superbill's diagnosis pointer letter of a confirmed code"
    )
    left_off_on_confirm = serializers.BooleanField(
        help_text="A proposed code that confirming leaves off: a superbill letters twelve diagnoses (A to L)"
    )


class DiagnosisPatientInput(serializers.Serializer):
    patient = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class BillingDiagnosisViewSet(viewsets.GenericViewSet):
    """A patient's diagnosis codes as billing holds them for superbills: confirmed ones first (primary first, with
    their superbill letter), then those proposed from a signed intake note. Billing and admins only; billing
    confirms the proposed ones."""

    serializer_class = DiagnosisOutput
    pagination_class = None
    error_statuses = {"list": {404}, "confirm": {404}}  # the patient named in the query or the body

    def _patient(self, data) -> Patient:
        if not self.request.user.has_perm("billing.view_diagnoses"):
            raise PermissionDenied
        serializer = DiagnosisPatientInput(data=data)
        serializer.is_valid(raise_exception=True)
        patient = Patient.objects.filter(pk=serializer.validated_data["patient"]).first()
        if patient is None:
            raise NotFound("No such patient.")
        return patient

    def _answer(self, patient) -> Response:
        access_log_write(
            actor=self.request.user, action="billing_diagnoses_view", subject=patient, patient_id=patient.pk
        )
        return Response(DiagnosisOutput(billing_diagnoses(patient=patient), many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("patient", int, required=True, description="The patient")],
        responses=DiagnosisOutput(many=True),
    )
    def list(self, request):
        return self._answer(self._patient(request.query_params))

    @extend_schema(request=DiagnosisPatientInput, responses=DiagnosisOutput(many=True))
    @action(detail=False, methods=["post"])
    def confirm(self, request):
        """Confirm the codes proposed from the intake note: they join the confirmed ones up to the twelve a superbill
        letters, those marked `left_off_on_confirm` left off (409 when none wait)."""
        patient = self._patient(request.data)
        if not request.user.has_perm("billing.edit_diagnoses", patient):
            raise PermissionDenied
        diagnoses_confirm(actor=request.user, patient=patient)
        return self._answer(patient)


class BalanceView(APIView):
    permission_classes = [IsAuthenticated, StaffVerifiedMFA]

    @extend_schema(responses={200: dict})
    def get(self, request, patient_id: int):
        patient = patient_get_for(
            user=request.user, patient_id=patient_id, perm="billing.view_ledger", action="billing_ledger_view"
        )
        return Response({"patient": patient.pk, "balance": str(patient_balance(patient=patient))})


# --- payment provider webhook ------------------------------------------------------------------------------------


class StripeWebhookView(APIView):
    """Stripe events. The signature is checked over the raw body before anything is read or written."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={200: dict})
    def post(self, request):
        backend = payment_backend("stripe")
        event = backend.event_parse(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
        applied = provider_event_apply(provider=backend.name, event=event)
        return Response({"received": True, "applied": applied})


def register(router) -> None:
    router.register("sliding-scale/assessments", AssessmentViewSet, basename="sliding-scale-assessment")
    router.register("charges", ChargeViewSet, basename="charge")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("statements", StatementViewSet, basename="statement")
    router.register("good-faith-estimates", EstimateViewSet, basename="good-faith-estimate")
    router.register("billing-diagnoses", BillingDiagnosisViewSet, basename="billing-diagnosis")


urlpatterns = [
    path("sliding-scale/quote", QuoteView.as_view(), name="sliding-scale-quote"),
    path("billing/balances/<int:patient_id>/", BalanceView.as_view(), name="billing-balance"),
    path("patients/<int:patient_id>/packages/", PatientPackagesView.as_view(), name="patient-packages"),
    path("packages/<int:pk>/refund/", PackageRefundView.as_view(), name="package-refund"),
    path("billing/webhooks/stripe/", StripeWebhookView.as_view(), name="billing-stripe-webhook"),
]
