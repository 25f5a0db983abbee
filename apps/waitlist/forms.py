from django import forms

from apps.accounts.selectors import active_therapists
from apps.core.forms import ClockInput, PortalForm
from apps.patients.forms import PatientChoiceField
from apps.patients.models import Patient, PatientStatus
from apps.scheduling.models import ServiceType, Weekday


class SlotRequestForm(PortalForm):
    therapist = forms.ModelChoiceField(queryset=active_therapists(), required=False, empty_label="Any therapist")
    service_type = forms.ModelChoiceField(
        queryset=ServiceType.objects.filter(is_active=True, is_group=False), label="Session"
    )
    weekdays = forms.TypedMultipleChoiceField(
        choices=Weekday.choices, coerce=int, widget=forms.CheckboxSelectMultiple, label="Days that work for you"
    )
    earliest_start = forms.TimeField(widget=ClockInput(), label="Earliest start")
    latest_start = forms.TimeField(widget=ClockInput(), label="Latest start")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A patient picks a kind of session by its name; the billing code means nothing to them.
        self.fields["service_type"].label_from_instance = lambda service: service.name


class StaffSlotRequestForm(SlotRequestForm):
    patient = PatientChoiceField(queryset=Patient.objects.filter(status=PatientStatus.ACTIVE))

    field_order = ["patient"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The front desk fills this in about the patient, not to them.
        self.fields["weekdays"].label = "Days that work for the patient"
        self.fields["service_type"].label_from_instance = str
