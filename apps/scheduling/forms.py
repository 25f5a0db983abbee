"""Front-desk forms. Times are entered in the local time of the session's location (the clinic's zone unless it is
elsewhere); the services keep them aware."""

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms

from apps.accounts.disciplines import Discipline
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core import clock
from apps.core.forms import ClockInput, ZoneKeptMixin
from apps.core.time_zones import clinic_zone_name, zone_choices, zone_label, zone_short_label
from apps.patients.forms import PatientChoiceField
from apps.patients.selectors import patients_visible_to

from .models import Location, Room, ServiceType, TimeOff, Weekday, WorkingHours
from .selectors import offices_by_zone, therapist_office_on
from .services import MAX_SERIES_DATES


class _TherapistChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name or obj.email


class RoomChoice(forms.ModelChoiceField):
    """Active rooms, each named with its location."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Room.objects.filter(is_active=True).select_related("location"), **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.location.name}"


def location_field(**kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=Location.objects.filter(is_active=True), **kwargs)


OVERRIDE_HELP = "Only to book outside working hours or during time off: say why."
CAP_OVERRIDE_HELP = "Only to give a therapist a reduced-fee patient past their cap: say why (it is logged)."
PAST_BOOK_LABEL = "This session is in the past — book it anyway to record a session that took place"
PAST_SERIES_LABEL = "Some dates are in the past — book them anyway to record sessions that took place"
PAST_MOVE_LABEL = "This time is in the past — move the session anyway to record when it took place"


class PastConfirmation(forms.Form):
    """The "book it anyway" box for a time that has passed. It is offered only once the booking was refused for
    it (or was ticked already), so nobody ticks it in passing; until then it rides along hidden and unticked."""

    allow_past = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Last, just above the button: it is the final word on what the form above it books.
        self.fields["allow_past"] = self.fields.pop("allow_past")
        if self.data.get(self.add_prefix("allow_past")) == "on":
            self.past_confirmation_ask()

    def past_confirmation_ask(self) -> None:
        self.fields["allow_past"].widget = forms.CheckboxInput()


def therapists_bookable_by(user):
    """The active therapists `user` may book sessions for: every one for the front desk, themselves for a
    therapist."""
    therapists = User.objects.filter(groups__name=Role.THERAPIST, is_active=True).order_by("last_name")
    if not user.has_perm("scheduling.view_all_schedules"):
        therapists = therapists.filter(pk=user.pk)
    return therapists


class _BookingForm(PastConfirmation, forms.Form):
    therapist = _TherapistChoice(queryset=User.objects.none())
    patient = PatientChoiceField(queryset=None, required=False, help_text="Empty only for a group meeting.")
    service_type = forms.ModelChoiceField(queryset=ServiceType.objects.filter(is_active=True))
    location = location_field(
        required=False,
        empty_label="The room's location, or where the therapist works that day",
        help_text="The date and time are this location's local time.",
    )
    room = RoomChoice(required=False)
    is_telehealth = forms.BooleanField(label="Telehealth (video)", required=False)
    override_reason = forms.CharField(max_length=300, required=False, help_text=OVERRIDE_HELP)
    cap_override_reason = forms.CharField(
        label="Reduced-fee cap override reason", max_length=300, required=False, help_text=CAP_OVERRIDE_HELP
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = therapists_bookable_by(user)
        self.fields["patient"].queryset = patients_visible_to(user=user).filter(status="active")
        self.fields["allow_past"].label = PAST_BOOK_LABEL

    def clean(self):
        data = super().clean()
        if data.get("is_telehealth") and data.get("room"):
            self.add_error("room", "A telehealth session has no room.")
        return data

    def office(self, day: dt.date, time: dt.time):
        """Where the session is, whose clock the typed date and time are read on: the room's location, the chosen
        one, else the office the therapist works at at that time (the service's rule for a booking naming no
        place)."""
        data = self.cleaned_data
        place = data["room"].location if data.get("room") else data.get("location")
        return place or therapist_office_on(data["therapist"], day, time)

    def booking_args(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in (
                "therapist",
                "patient",
                "service_type",
                "location",
                "room",
                "is_telehealth",
                "override_reason",
                "cap_override_reason",
                "allow_past",
            )
        }


class AppointmentForm(_BookingForm):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=ClockInput())

    field_order = ["therapist", "patient", "service_type", "location", "date", "time", "room", "is_telehealth"]

    def booking_args(self) -> dict:
        day, time = self.cleaned_data["date"], self.cleaned_data["time"]
        office = self.office(day, time)
        args = {**super().booking_args(), "start": clock.local_datetime(day, time, office.zone)}
        if args["room"] is None and args["location"] is None:
            args["location"] = office  # the office the time was read at, named so the service cannot read it otherwise
        return args


class SeriesForm(_BookingForm):
    patient = PatientChoiceField(queryset=None)
    first_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    local_start_time = forms.TimeField(label="Time", widget=ClockInput())
    interval_weeks = forms.TypedChoiceField(
        label="Repeats", coerce=int, choices=[(1, "Every week"), (2, "Every other week")], initial=1
    )
    ends = forms.ChoiceField(
        choices=[
            ("count", "After a number of sessions"),
            ("date", "On a date"),
            ("open", "Never (keep booking ahead)"),
        ],
        initial="count",
    )
    occurrence_count = forms.IntegerField(
        label="Number of sessions", min_value=1, max_value=MAX_SERIES_DATES, required=False
    )
    end_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    skip_conflicts = forms.BooleanField(
        label="Book the free dates and skip the blocked ones",
        required=False,
        help_text="Blocked: taken by another session, or outside working hours or in time off (those are booked "
        "instead when an override reason is given).",
    )

    field_order = [
        "therapist",
        "patient",
        "service_type",
        "location",
        "first_date",
        "local_start_time",
        "interval_weeks",
        "ends",
        "occurrence_count",
        "end_date",
        "room",
        "is_telehealth",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allow_past"].label = PAST_SERIES_LABEL

    def clean(self):
        data = super().clean()
        ends = data.get("ends")
        if ends == "count" and not data.get("occurrence_count"):
            self.add_error("occurrence_count", "How many sessions?")
        if ends == "date" and not data.get("end_date"):
            self.add_error("end_date", "Until which date?")
        return data

    def plan_args(self) -> dict:
        data = self.cleaned_data
        confirmations = ("override_reason", "cap_override_reason", "allow_past")
        args = {k: v for k, v in self.booking_args().items() if k not in confirmations}
        return {
            **args,
            "first_date": data["first_date"],
            "local_start_time": data["local_start_time"],
            "interval_weeks": data["interval_weeks"],
            "occurrence_count": data["occurrence_count"] if data["ends"] == "count" else None,
            "end_date": data["end_date"] if data["ends"] == "date" else None,
        }


class _ScopeMixin:
    """Offers "this and all later sessions" only for a session that belongs to a series."""

    def __init__(self, *args, in_series: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not in_series:
            del self.fields["scope"]

    @property
    def scope(self) -> str:
        return self.cleaned_data.get("scope") or "this"


class CancelForm(_ScopeMixin, forms.Form):
    """Offers to waive the late-cancel fee only where cancelling posts one (scheduling.services.late_fee_to_waive).
    Its ids are its own ("cancel_scope"): it shares the session page with the reschedule form, which has a scope
    too, and a label must not lead to the other form's field."""

    reason = forms.CharField(max_length=300, required=False)
    waive_late_fee = forms.BooleanField(label="Waive the late-cancellation fee", required=False)
    scope = forms.ChoiceField(
        choices=[("this", "Only this session"), ("following", "This and all later sessions of the series")],
        initial="this",
    )

    def __init__(self, *args, fee_to_waive: bool, **kwargs):
        kwargs.setdefault("auto_id", "cancel_%s")
        super().__init__(*args, **kwargs)
        if not fee_to_waive:
            del self.fields["waive_late_fee"]

    def clean(self):
        data = super().clean()
        if data.get("waive_late_fee") and not data.get("reason", "").strip():
            self.add_error("reason", "Say why the fee is waived.")
        return data


class RescheduleForm(_ScopeMixin, PastConfirmation, forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=ClockInput())
    therapist = _TherapistChoice(
        queryset=User.objects.none(), required=False, help_text="Choose another therapist to hand the session over."
    )
    location = location_field(
        required=False,
        empty_label="Keep it where it is (or the new room's location)",
        help_text="The date and time are this location's local time.",
    )
    room = RoomChoice(required=False)
    scope = forms.ChoiceField(
        choices=[("this", "Only this session"), ("following", "This and all later sessions of the series")],
        initial="this",
    )
    override_reason = forms.CharField(max_length=300, required=False, help_text=OVERRIDE_HELP)
    cap_override_reason = forms.CharField(
        label="Reduced-fee cap override reason", max_length=300, required=False, help_text=CAP_OVERRIDE_HELP
    )

    def __init__(self, *args, user, has_patient: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = therapists_bookable_by(user)
        self.fields["allow_past"].label = PAST_MOVE_LABEL
        if not has_patient:  # a group meeting: the reduced-fee cap counts a therapist's patients, not meetings
            del self.fields["cap_override_reason"]

    def start_at(self, appointment):
        """The typed date and time in the zone of where the session will be: the new room's location, the chosen
        one, else where it is now."""
        data = self.cleaned_data
        place = data["room"].location if data.get("room") else data.get("location") or appointment.location
        return clock.local_datetime(data["date"], data["time"], place.zone)


class WorkingHoursForm(forms.Form):
    location = location_field(
        required=False,
        empty_label="The therapist's office",
        help_text="The hours are this location's local time.",
    )
    weekday = forms.TypedChoiceField(label="Day", coerce=int, choices=Weekday.choices)
    start_time = forms.TimeField(label="From", widget=ClockInput())
    end_time = forms.TimeField(label="To", widget=ClockInput())

    @staticmethod
    def initial_for(block: WorkingHours) -> dict:
        return {
            "location": block.location_id,
            "weekday": block.weekday,
            "start_time": block.start_time,
            "end_time": block.end_time,
        }

    def service_args(self) -> dict:
        return dict(self.cleaned_data)


def _clock_label(zone: str, offices: list[Location]) -> str:
    """ "Pasadena office · Pacific time"; a zone no open office keeps (the clock of older time off) by its name."""
    if not offices:
        return zone_label(zone)
    return f"{', '.join(office.name for office in offices)} · {zone_short_label(zone)}"


class TimeOffForm(forms.Form):
    """Whole days by default; a time narrows the first or the last day. The times are read on one clock: in a clinic
    whose open offices keep more than one, the one chosen (the office's the therapist works at, unless changed);
    otherwise the clinic's, or the clock of the time off being changed."""

    start_date = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label="From",
        required=False,
        widget=ClockInput(),
        help_text="Leave empty for the whole first day.",
    )
    end_date = forms.DateField(label="Last day", widget=forms.DateInput(attrs={"type": "date"}))
    end_time = forms.TimeField(
        label="Until",
        required=False,
        widget=ClockInput(),
        help_text="Leave empty for the whole last day.",
    )
    time_zone = forms.ChoiceField(
        label="Clock",
        required=False,  # left out, the clock it starts on
        help_text="The times are on this office's clock. A whole day is the day wherever the therapist works.",
    )
    reason = forms.CharField(
        max_length=200, required=False, help_text="Optional. Staff see it when a booking falls in this time."
    )

    def __init__(self, *args, office_zone: str | None = None, **kwargs):
        """`office_zone`: the clock offered first for new time off (the therapist's office's)."""
        super().__init__(*args, **kwargs)
        kept = self.initial.get("time_zone")  # the clock of the time off being changed
        clocks = offices_by_zone()
        if kept and kept not in clocks:
            clocks[kept] = []
        if len(clocks) > 1:
            self.zone_name = kept or (office_zone if office_zone in clocks else None) or clinic_zone_name()
            field = self.fields["time_zone"]
            field.choices = [(zone, _clock_label(zone, offices)) for zone, offices in clocks.items()]
            field.initial = self.zone_name
        else:
            del self.fields["time_zone"]
            # One clock: the times are read on the clock of the time off being changed, else the clinic's.
            self.zone_name = kept or clinic_zone_name()

    @staticmethod
    def initial_for(time_off: TimeOff) -> dict:
        start, end = time_off.local_start, time_off.local_end  # on the time off's own clock
        return {
            "start_date": start.date(),
            "start_time": None if start.time() == dt.time(0, 0) else start.time(),
            "end_date": time_off.last_day,
            "end_time": None if end.time() == dt.time(0, 0) else end.time(),
            "time_zone": time_off.time_zone,
            "reason": time_off.reason,
        }

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["time_zone"] = data.get("time_zone") or self.zone_name  # the clock offered first, when none is sent
        zone = ZoneInfo(data["time_zone"])
        start_time, end_time = data["start_time"] or dt.time(0, 0), data["end_time"]
        try:
            end_day = data["end_date"] if end_time else data["end_date"] + dt.timedelta(days=1)
        except OverflowError:
            raise forms.ValidationError("Check the last day's year.") from None
        data["start"] = clock.local_datetime(data["start_date"], start_time, zone)
        data["end"] = clock.local_datetime(end_day, end_time or dt.time(0, 0), zone)
        return data

    def service_args(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("start", "end", "time_zone", "reason")}


class DisciplineForm(forms.Form):
    """A provider's discipline, set by an administrator on the provider's working-hours page."""

    discipline = forms.ChoiceField(
        choices=Discipline.choices,
        help_text="Decides which services they are booked for and which notes they may read.",
    )


class SelfBookingForm(forms.Form):
    """A therapist's online booking switches, on their working-hours page."""

    self_booking = forms.BooleanField(label="Patients may book and move sessions with me online", required=False)
    accepts_new_patients = forms.BooleanField(label="I am taking new patients (first sessions)", required=False)


class LocationForm(ZoneKeptMixin, forms.ModelForm):
    """An office as admins set it up; the zone times every session booked there."""

    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=zone_choices(blank_label="Choose the zone the office is in"),
        help_text="Sessions here are booked and shown in this zone; it is fixed once sessions are booked.",
    )

    class Meta:
        model = Location
        fields = [
            "name",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "phone",
            "time_zone",
            "place_of_service",
            "is_active",
        ]
        labels = {"address_line1": "Address", "address_line2": "Address line 2", "is_active": "Open"}

    def service_args(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class LocationHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(label="Day", coerce=int, choices=Weekday.choices)
    opens = forms.TimeField(label="Opens", widget=ClockInput())
    closes = forms.TimeField(label="Closes", widget=ClockInput())

    def service_args(self) -> dict:
        return dict(self.cleaned_data)


class RoomForm(forms.ModelForm):
    location = location_field()

    class Meta:
        model = Room
        fields = ["name", "location", "capacity", "is_active"]
        labels = {"is_active": "In use"}

    def service_args(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
