from decimal import Decimal

from django import forms

from apps.core.dates import REPORT_DATES
from apps.core.forms import MoneyField, PeriodForm, PlainWordsMixin, PortalForm, RecordedOnceForm
from apps.scheduling.models import Location
from apps.scheduling.selectors import active_therapists, individual_service_types

from .models import AdjustmentKind, PackageOffering, PaymentMethod
from .services.assessments import EFFECTIVE_FROM_REACH
from .services.plans import FIRST_DUE_REACH
from .uploads import validate_proof_of_income

# A patient fills these in (the quote and the sliding-scale application): each refusal is a sentence to them,
# never Django's "Ensure this value is greater than or equal to 1.".
HOUSEHOLD_SIZE_ASKED = "Enter how many people live in your household, you included, as a number (for example 3)."


class QuoteForm(PortalForm):
    household_size = forms.IntegerField(
        label="People in your household",
        min_value=1,
        max_value=20,
        help_text="You, plus anyone you support.",
        error_messages={
            "required": HOUSEHOLD_SIZE_ASKED,
            "invalid": HOUSEHOLD_SIZE_ASKED,
            "min_value": "A household has at least one person: you.",
            "max_value": "For a household of more than 20 people, send the clinic a message and the billing office "
            "will work out your fee with you.",
        },
    )
    annual_income = MoneyField(
        label="Household income per year (USD)",
        min_value=Decimal(0),
        max_digits=11,
        error_messages={"required": "Enter your household's income for a year, in dollars (0 if there is none)."},
    )


class AssessmentForm(QuoteForm):
    proof = forms.FileField(
        label="Proof of income (optional)",
        required=False,
        help_text="A recent pay stub, tax return or benefits letter (PDF or image, up to 10 MB).",
        validators=[validate_proof_of_income],
    )


class ApproveForm(forms.Form):
    effective_from = forms.DateField(
        required=False, validators=[EFFECTIVE_FROM_REACH], widget=forms.DateInput(attrs={"type": "date"})
    )
    override_fee = MoneyField(label="Fixed per-session fee (optional)", required=False, min_value=Decimal(0))
    override_reason = forms.CharField(label="Reason for the fixed fee", required=False, max_length=300)


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.TextInput)


class PaymentForm(RecordedOnceForm):
    method = forms.ChoiceField(
        choices=[(m.value, m.label) for m in (PaymentMethod.CASH, PaymentMethod.CHECK, PaymentMethod.CARD_PRESENT)]
    )
    amount = MoneyField()
    reference = forms.CharField(label="Check number / card last 4", required=False, max_length=100)
    note = forms.CharField(required=False, max_length=200)
    credit_on_account = forms.BooleanField(
        label="Keep any amount above the balance as a credit on account",
        required=False,
        help_text="Without this, a payment above the balance is refused.",
    )
    toward_plan = forms.BooleanField(
        label="Made against the patient's active payment plan",
        required=False,
        help_text="Only payments made against the plan count toward its installments.",
    )


class AdjustmentForm(RecordedOnceForm):
    kind = forms.ChoiceField(choices=AdjustmentKind.choices)
    amount = MoneyField()
    reason = forms.CharField(max_length=300)


class ReverseForm(forms.Form):
    reason = forms.CharField(max_length=300)


class RefundForm(RecordedOnceForm):
    amount = MoneyField()
    reason = forms.CharField(max_length=300)


class PlanForm(forms.Form):
    instalments = forms.IntegerField(min_value=2, max_value=24, initial=3, label="Installments")
    first_due = forms.DateField(validators=[FIRST_DUE_REACH], widget=forms.DateInput(attrs={"type": "date"}))
    every_days = forms.IntegerField(min_value=7, max_value=92, initial=30, label="Days between installments")


class PayForm(PortalForm):
    amount = MoneyField()


class InstalmentPayForm(PayForm):
    """Paying toward the active payment plan; prefixed, as it shares the portal page with the plain pay form."""

    prefix = "instalment"
    amount = MoneyField(label="Amount toward your plan")


class SuperbillPeriodForm(PlainWordsMixin, PeriodForm):
    """The period a patient asks their superbill for, in the portal."""


class DiagnosisForm(forms.Form):
    diagnosis_codes = forms.CharField(
        label="ICD-10 diagnosis codes", required=False, help_text="Primary first, separated by commas: F45.41, M54.50"
    )


class AgingForm(forms.Form):
    """The aging report's date; today when none is given."""

    as_of = forms.DateField(
        label="As of",
        required=False,
        validators=[REPORT_DATES],
        error_messages={"invalid": "Use a date like 2026-03-31."},
    )


class SlidingScaleReportForm(PeriodForm):
    location = forms.ModelChoiceField(
        queryset=Location.objects.all(), required=False, empty_label="All locations", label="Location"
    )


class FeeScheduleForm(forms.Form):
    full_fee = MoneyField(min_value=Decimal(0))
    effective_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class GuidelineForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)
    first_person = MoneyField(min_value=Decimal(1))
    each_additional_person = MoneyField(min_value=Decimal(0))


class PackageSellForm(RecordedOnceForm):
    """The package chosen on the account page, with the sale's submission key: carried on to the confirmation, so
    that the confirmation sent, reloaded or reached again by Back sells once. For `patient`, it offers the packages
    they can be sold now; without one (the sale sent), it takes any package, so that one no longer sold or held
    already is refused by the sale itself, saying so (409), rather than as no choice at all."""

    offering = forms.ModelChoiceField(queryset=None, label="Package", empty_label=None)

    def __init__(self, *args, patient=None, **kwargs):
        from .selectors.packages import offerings_on_sale

        super().__init__(*args, **kwargs)
        self.fields["offering"].queryset = (
            offerings_on_sale(patient=patient)
            if patient is not None
            else PackageOffering.objects.select_related("service_type")
        )


class EstimateRequestForm(forms.Form):
    """What a patient asks an estimate for. The service checks the rest (the period, the count, the provider's
    discipline), for the page and the API alike."""

    # A first, empty choice asks for a deliberate one (and spares the page a second read of the services, which a
    # required list without it makes to decide whether the browser must insist).
    service_type = forms.ModelChoiceField(queryset=None, label="Service", empty_label="Choose a service")
    therapist = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Not chosen yet", label="Therapist (optional)"
    )
    expected_count = forms.IntegerField(label="Expected sessions", initial=12)
    period_start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = individual_service_types()
        self.fields["therapist"].queryset = active_therapists()
        self.fields["therapist"].label_from_instance = lambda user: user.full_name


class PackageRefundForm(RecordedOnceForm):
    reason = forms.CharField(label="Reason", max_length=300, widget=forms.TextInput)
