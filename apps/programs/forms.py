from decimal import Decimal

from django import forms
from django.forms.models import ModelChoiceIterator

from apps.accounts.selectors import active_therapists
from apps.core.forms import MoneyField, RecordedOnceForm, picker_widgets
from apps.outcomes.instruments import INSTRUMENT_CHOICES
from apps.patients.forms import PatientChoiceField
from apps.patients.models import Patient, PatientStatus
from apps.scheduling.models import Room, ServiceType

from .models import (
    LIVE_STATUSES,
    AttendanceStatus,
    GroupProgram,
    LecturePaymentKind,
    PaymentMethod,
    ProgramKind,
    ProgramStage,
)


class ProgramForm(forms.ModelForm):
    kind = forms.ChoiceField(choices=ProgramKind.choices, initial=ProgramKind.GROUP, required=False)
    lead_facilitator = forms.ModelChoiceField(queryset=active_therapists())
    co_facilitators = forms.ModelMultipleChoiceField(queryset=active_therapists(), required=False)
    service_type = forms.ModelChoiceField(queryset=ServiceType.objects.filter(is_active=True, is_group=True))
    room = forms.ModelChoiceField(queryset=Room.objects.filter(is_active=True), required=False)
    # The model's fields would be plain decimals, which read "1e2" as $100.00.
    full_price = MoneyField(min_value=Decimal(0), required=False, help_text=GroupProgram.full_price.field.help_text)
    reduced_price = MoneyField(
        min_value=Decimal(0), required=False, help_text=GroupProgram.reduced_price.field.help_text
    )
    outcome_questionnaires = forms.MultipleChoiceField(
        choices=INSTRUMENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Compared before (first meeting) and after (last meeting) on the program page.",
    )
    override_reason = forms.CharField(
        max_length=300, required=False, help_text="Needed when meetings fall outside the facilitator's hours."
    )

    class Meta:
        model = GroupProgram
        fields = [
            "title",
            "description",
            "kind",
            "lead_facilitator",
            "co_facilitators",
            "service_type",
            "fee_mode",
            "full_price",
            "reduced_price",
            "capacity",
            "minimum_to_launch",
            "decision_on",
            "charge_no_shows",
            "enrollment_opens_on",
            "enrollment_closes_on",
            "room",
            "is_telehealth",
            "first_meeting_on",
            "local_start_time",
            "meeting_count",
            "interval_weeks",
            "outcome_questionnaires",
        ]
        widgets = picker_widgets(
            dates=("enrollment_opens_on", "enrollment_closes_on", "first_meeting_on", "decision_on"),
            times=("local_start_time",),
        )
        labels = {"minimum_to_launch": "Propose first: minimum to launch", "decision_on": "Propose first: decide by"}
        help_texts = {
            "minimum_to_launch": "Fill this and the decision date to propose the program: it gathers an interest "
            "list and its meetings are booked when it launches. Leave both empty to schedule it now.",
        }

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or ProgramKind.GROUP

    @property
    def is_proposal(self) -> bool:
        return (
            self.cleaned_data.get("minimum_to_launch") is not None or self.cleaned_data.get("decision_on") is not None
        )


class ProgramChangeForm(forms.ModelForm):
    co_facilitators = forms.ModelMultipleChoiceField(queryset=active_therapists(), required=False)

    class Meta:
        model = GroupProgram
        fields = [
            "title",
            "description",
            "co_facilitators",
            "charge_no_shows",
            "enrollment_opens_on",
            "enrollment_closes_on",
            "minimum_to_launch",
        ]
        widgets = picker_widgets(dates=("enrollment_opens_on", "enrollment_closes_on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only a proposed program gathers interest; its decision date moves on the program page, telling the list.
        if self.instance.stage != ProgramStage.PROPOSED:
            del self.fields["minimum_to_launch"]


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(min_value=1, max_value=200, help_text="Raising it offers new seats to the waitlist.")


class EnrollPatientForm(forms.Form):
    patient = PatientChoiceField(
        queryset=Patient.objects.none(), help_text="Enrolled if a seat is free, else waitlisted."
    )

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["patient"]
        # Any chart may be sent, so that one discharged or enrolled since the page was loaded is refused in words by
        # the service (409 for one already in the program) rather than as "not one of the choices"; the list offers
        # only the active patients not already in it.
        field.queryset = Patient.objects.all()
        field.widget.choices = _ChoicesOf(
            field,
            Patient.objects.filter(status=PatientStatus.ACTIVE).exclude(
                program_enrollments__program=program, program_enrollments__status__in=LIVE_STATUSES
            ),
        )


class _ChoicesOf(ModelChoiceIterator):
    """The options a choice field shows, from `queryset` rather than the (wider) one it accepts."""

    def __init__(self, field, queryset):
        super().__init__(field)
        self.queryset = queryset


class MoveForm(forms.Form):
    to_rank = forms.IntegerField(min_value=1, label="New place")
    reason = forms.CharField(max_length=300)


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False)


ATTENDANCE_CHOICES = [("", "Not recorded"), *AttendanceStatus.choices]
# At a meeting by video nobody walks in: a member joined the call, or did not.
VIDEO_ATTENDANCE_CHOICES = [
    ("", "Not recorded"),
    (AttendanceStatus.ATTENDED.value, "Joined"),
    (AttendanceStatus.NO_SHOW.value, "Did not join"),
    (AttendanceStatus.EXCUSED.value, AttendanceStatus.EXCUSED.label),
]


def attendance_choices(*, by_video: bool) -> list[tuple[str, str]]:
    return VIDEO_ATTENDANCE_CHOICES if by_video else ATTENDANCE_CHOICES


class LecturePaymentForm(RecordedOnceForm):
    kind = forms.ChoiceField(choices=LecturePaymentKind.choices, label="For")
    amount = MoneyField(min_value=None, help_text="In dollars; a negative amount is a refund.")
    method = forms.ChoiceField(choices=PaymentMethod.choices)

    def __init__(self, *args, kinds: list[tuple[str, str]], methods: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds  # a free series takes donations only
        self.fields["method"].choices = methods  # a card is taken at the door only where there is one


class LaunchForm(forms.Form):
    override_reason = forms.CharField(
        max_length=300, required=False, help_text="Needed when meetings fall outside the facilitator's hours."
    )


class CallOffForm(forms.Form):
    reason = forms.CharField(
        max_length=300, help_text="Kept with the program; people on the list are told only that it will not go ahead."
    )


class DecisionMoveForm(forms.Form):
    decision_on = forms.DateField(label="New decision date", widget=picker_widgets(dates=("d",))["d"])


class ResolveForm(forms.Form):
    note = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was done: who called, what was offered.",
    )
