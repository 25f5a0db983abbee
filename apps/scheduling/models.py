import datetime as dt
import re
from zoneinfo import ZoneInfo

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.contrib.postgres.indexes import GistIndex
from django.db import models
from django.db.models import Func, Q

from apps.accounts.disciplines import Discipline
from apps.core import clock
from apps.core.models import TimeStampedModel, Transition
from apps.core.time_zones import clinic_zone_name, time_zone_known_trigger, zone_place, zone_validate
from apps.core.when import clock_span_text, clock_text

# A CPT code is five digits (Category I), or four digits and a T (Category III, emerging services). A clinic's own
# code for a service no CPT code describes (a partner's relaxation massage, RLX60) matches neither.
CPT_CODE = re.compile(r"[0-9]{4}[0-9T]")


class ServiceType(TimeStampedModel):
    """A billable kind of session, keyed by its CPT code."""

    name = models.CharField(max_length=100)
    code = models.CharField(max_length=10, unique=True, help_text="CPT code, e.g. 90834")
    duration_minutes = models.PositiveIntegerField()
    is_group = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    discipline = models.CharField(
        max_length=20,
        choices=Discipline.choices,
        default=Discipline.PSYCHOTHERAPY,
        help_text="Only providers of this discipline are booked for it.",
    )

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="service_duration_positive")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def has_cpt_code(self) -> bool:
        """Whether an insurer can be billed for it: only a CPT-coded service goes on a claim or a superbill."""
        return CPT_CODE.fullmatch(self.code) is not None


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WeeklySpan(Func):
    """Half-open [start, end) of a time-of-day block, as a range on one fixed date so Postgres can compare blocks."""

    function = "TSRANGE"
    arg_joiner = ", DATE '2000-01-03' + "
    template = "%(function)s(DATE '2000-01-03' + %(expressions)s, '[)')"
    output_field = models.DateTimeField()


class PlaceOfService(models.TextChoices):
    """CMS place-of-service codes a location can bill in person (telehealth codes follow the session, not the place)."""

    OFFICE = "11", "11 · Office"
    SCHOOL = "03", "03 · School"
    OUTPATIENT_HOSPITAL = "22", "22 · On-campus outpatient hospital"
    COMMUNITY_MENTAL_HEALTH = "53", "53 · Community mental health center"
    OTHER = "99", "99 · Other place of service"


LOCATION_ZONE_FIXED = """
IF EXISTS (SELECT 1 FROM scheduling_appointment WHERE location_id = NEW.id)
   OR EXISTS (SELECT 1 FROM scheduling_appointmentseries WHERE location_id = NEW.id) THEN
    RAISE EXCEPTION 'sessions are booked at location %; its time zone is fixed', NEW.id
        USING ERRCODE = '23514', CONSTRAINT = 'location_zone_fixed_once_booked';
END IF;
RETURN NEW;
"""


def location_default() -> int:
    """The main location's id: what a single-office clinic books at without naming a place."""
    return Location.main().pk


class Location(TimeStampedModel):
    """An office of the clinic: its address, the zone its sessions are timed in, its rooms and opening hours."""

    name = models.CharField(max_length=100, unique=True)
    address_line1 = models.CharField("Address line 1", max_length=200, blank=True)
    address_line2 = models.CharField("Address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    time_zone = models.CharField(
        max_length=64, validators=[zone_validate], help_text="IANA zone, e.g. America/New_York."
    )
    place_of_service = models.CharField(
        max_length=2, choices=PlaceOfService.choices, default=PlaceOfService.OFFICE, help_text="For superbills."
    )
    is_main = models.BooleanField(default=False, help_text="Where sessions are booked when no place is named.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-is_main", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(time_zone=""), name="location_has_time_zone"),
            models.UniqueConstraint(fields=["is_main"], condition=Q(is_main=True), name="one_main_location"),
            models.CheckConstraint(condition=Q(is_main=False) | Q(is_active=True), name="main_location_is_active"),
        ]
        triggers = [
            # No session can be stored at a place whose local time nothing could compute.
            time_zone_known_trigger("location_time_zone_known", blank_allowed=False),
            # Sessions and series booked at a location were timed in its zone: changing it under them (from the
            # admin, a shell, any path) would move every one of them.
            pgtrigger.Trigger(
                name="location_zone_fixed_once_booked",
                operation=pgtrigger.UpdateOf("time_zone"),
                when=pgtrigger.Before,
                condition=pgtrigger.Q(old__time_zone__df=pgtrigger.F("new__time_zone")),
                func=LOCATION_ZONE_FIXED,
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def main(cls) -> "Location":
        """The main location, made from the clinic's zone the first time a clinic needs one."""
        main = cls.objects.filter(is_main=True).first()
        if main is None:
            main, _ = cls.objects.get_or_create(
                is_main=True, defaults={"name": "Main office", "time_zone": settings.TIME_ZONE}
            )
        return main

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def zone_place(self) -> str:
        """ "Los Angeles": how weekly hours name the office's clock, right in summer and in winter alike."""
        return zone_place(self.zone)

    @property
    def address_lines(self) -> list[str]:
        city_line = " ".join(
            part for part in (f"{self.city}," if self.city else "", self.state, self.postal_code) if part
        )
        return [line for line in (self.address_line1, self.address_line2, city_line.strip(" ,")) if line]


class LocationHours(TimeStampedModel):
    """When a location is open on one weekday, in its own local time; blocks of one day never overlap."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["location", "weekday", "opens"]
        verbose_name_plural = "location hours"
        constraints = [
            models.CheckConstraint(condition=Q(opens__lt=models.F("closes")), name="location_hours_open_before_close"),
            ExclusionConstraint(
                name="location_hours_no_overlap",
                expressions=[
                    (WeeklySpan("opens", "closes"), RangeOperators.OVERLAPS),
                    ("location", RangeOperators.EQUAL),
                    ("weekday", RangeOperators.EQUAL),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {clock_span_text(self.opens, self.closes)}"


class Room(TimeStampedModel):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms", default=location_default)
    name = models.CharField(max_length=100)
    capacity = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location", "name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="room_name_unique_at_location"),
            # The target of the sessions' (room, location) key: a session's room is always at its location.
            models.UniqueConstraint(fields=["id", "location"], name="room_at_location_key"),
        ]

    def __str__(self) -> str:
        return self.name


class WorkingHours(TimeStampedModel):
    """A therapist's regular bookable hours on one weekday at one location, in that location's local time.

    Blocks of one therapist on one weekday never overlap, at one location or across two (an exclusion constraint,
    not only the service's check): a therapist is in one place at a time.
    """

    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours")
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="working_hours", default=location_default
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["therapist", "weekday", "start_time"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=models.F("end_time")), name="working_hours_start_before_end"
            ),
            ExclusionConstraint(
                name="working_hours_no_overlap",
                expressions=[
                    (WeeklySpan("start_time", "end_time"), RangeOperators.OVERLAPS),
                    ("therapist", RangeOperators.EQUAL),
                    ("weekday", RangeOperators.EQUAL),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {clock_span_text(self.start_time, self.end_time)}"


# How far a whole day off may reach past its own midnight bounds on another office's clock (clocks differ by at
# most 26 hours): reads of time off widen their range by it and then ask each row what it covers.
TIME_OFF_REACH = dt.timedelta(hours=27)


class TimeOff(clock.LocalSpan, TimeStampedModel):
    """A span a therapist cannot be booked in, typed on one clock (`time_zone`: the office's the therapist works
    at, in a clinic whose offices keep more than one). Whole days run from local midnight to the midnight after the
    last; a time on the first or last day is that time on its clock."""

    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    time_zone = models.CharField(
        max_length=64,
        default=clinic_zone_name,
        validators=[zone_validate],
        help_text="IANA zone its times were typed on, e.g. America/Los_Angeles; the clinic's when none is named.",
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="time_off_start_before_end"),
            models.CheckConstraint(condition=~Q(time_zone=""), name="time_off_has_time_zone"),
        ]
        triggers = [
            # Its first and last day are read on this clock: one nothing could compute with would leave them unread.
            time_zone_known_trigger("time_off_time_zone_known", blank_allowed=False),
        ]

    def __str__(self) -> str:
        return f"{self.therapist} off {self.start:%Y-%m-%d}"

    @property
    def zone(self) -> ZoneInfo:
        """The clock its times were typed on: its local start and end, its days and its form read this."""
        return ZoneInfo(self.time_zone)

    @property
    def is_whole_days(self) -> bool:
        return self.starts_a_whole_day and self.ends_a_whole_day

    @property
    def starts_a_whole_day(self) -> bool:
        """Kept from its own clock's midnight: the whole first day is off, wherever the therapist works that day.
        21:00 typed on a clock three hours behind the clinic is a time, though it is the clinic's midnight."""
        return self.local_start.time() == dt.time(0, 0)

    @property
    def ends_a_whole_day(self) -> bool:
        return self.local_end.time() == dt.time(0, 0)

    def span_in(self, zone) -> tuple[dt.datetime, dt.datetime]:
        """The instants the time off covers on a clock in `zone`: a whole day is that local day there, from its
        midnight to the next (a day off at an office three hours behind runs to its own midnight, not to 9 PM
        there); a time given on the first or last day is the moment it names on the time off's own clock."""
        start = clock.local_datetime(self.local_start.date(), dt.time(0, 0), zone) if self.starts_a_whole_day else None
        end = (
            clock.local_datetime(self.last_day + dt.timedelta(days=1), dt.time(0, 0), zone)
            if self.ends_a_whole_day
            else None
        )
        return (start or self.start).astimezone(dt.UTC), (end or self.end).astimezone(dt.UTC)

    def covers(self, start: dt.datetime, end: dt.datetime, zone) -> bool:
        """Whether a span timed on a clock in `zone` (its location's) falls partly in the time off."""
        off_start, off_end = self.span_in(zone)
        return off_start < end and off_end > start

    @property
    def last_day(self) -> dt.date:
        """The last local date the time off touches on its clock (the day before an end at midnight)."""
        end = self.local_end
        return end.date() - dt.timedelta(days=1) if end.time() == dt.time(0, 0) else end.date()


class SeriesStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"
    CANCELLED = "cancelled", "Cancelled"


@pghistory.track()
class AppointmentSeries(TimeStampedModel):
    """A recurring booking at a wall-clock time in its location's zone; occurrences are Appointment rows.

    End by count, by end date, or neither (open-ended: a beat job books ahead to a rolling horizon).
    """

    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="appointment_series")
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", default=location_default)
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_telehealth = models.BooleanField(default=False)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    local_start_time = models.TimeField()
    interval_weeks = models.PositiveSmallIntegerField(default=1)
    first_date = models.DateField()
    occurrence_count = models.PositiveIntegerField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    booked_through = models.DateField(null=True, blank=True, help_text="Last date occurrences exist for.")
    status = models.CharField(max_length=20, choices=SeriesStatus.choices, default=SeriesStatus.ACTIVE)
    cap_override_reason = models.CharField(
        max_length=300, blank=True, help_text="Why staff booked this reduced-fee patient past the therapist's cap."
    )
    override_reason = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why staff booked the weekly time outside working hours; extending the series books on with it.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-first_date"]
        verbose_name_plural = "appointment series"
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_weeks__gte=1, interval_weeks__lte=4), name="series_interval_1_to_4"
            ),
            models.CheckConstraint(
                condition=Q(occurrence_count__isnull=True) | Q(end_date__isnull=True), name="series_count_or_end_date"
            ),
            models.CheckConstraint(
                condition=Q(is_telehealth=True, room__isnull=True) | Q(is_telehealth=False),
                name="series_telehealth_has_no_room",
            ),
        ]

    def __str__(self) -> str:
        return f"Series {self.pk}: {self.get_weekday_display()}s {self.local_start_time:%H:%M}"

    @property
    def is_open_ended(self) -> bool:
        return self.occurrence_count is None and self.end_date is None


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    LATE_CANCELLED = "late_cancelled", "Late cancelled"
    NO_SHOW = "no_show", "No-show"


# Statuses that hold the slot. Cancelled and late-cancelled appointments free it for someone else.
BLOCKING_STATUSES = [
    AppointmentStatus.BOOKED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
]


STATUS_BADGES = {
    AppointmentStatus.CHECKED_IN: "ok",
    AppointmentStatus.COMPLETED: "ok",
    AppointmentStatus.LATE_CANCELLED: "danger",
    AppointmentStatus.NO_SHOW: "danger",
    AppointmentStatus.CANCELLED: "warn",
}


class TsTzRange(Func):
    """Half-open [start, end) so back-to-back sessions do not overlap."""

    function = "TSTZRANGE"
    output_field = models.DateTimeField()

    def __init__(self, start, end):
        super().__init__(start, end, models.Value("[)"))


# A session is given by a provider of the service's discipline: a massage is never booked with a psychotherapist,
# nor psychotherapy with a massage therapist. A therapist without a profile row is a psychotherapist. Checked when
# a session is written with a (new) provider or service; the named constraint lets the booking services answer
# a race with the same message as their own check.
APPOINTMENT_DISCIPLINE_MATCH = """
IF TG_OP = 'UPDATE' AND NEW.therapist_id = OLD.therapist_id AND NEW.service_type_id = OLD.service_type_id THEN
    RETURN NEW;
END IF;
-- Under share locks: a discipline change (which locks the service type, or the provider's user row) waits for
-- this booking, or this for it. The user row, not only the profile: a provider may have no profile row yet.
SELECT discipline INTO service_discipline FROM scheduling_servicetype WHERE id = NEW.service_type_id FOR SHARE;
PERFORM 1 FROM accounts_user WHERE id = NEW.therapist_id FOR SHARE;
SELECT discipline INTO provider_discipline FROM accounts_therapistprofile WHERE user_id = NEW.therapist_id;
IF NOT FOUND THEN
    provider_discipline := 'psychotherapy';
END IF;
IF service_discipline IS DISTINCT FROM provider_discipline THEN
    RAISE EXCEPTION 'a % service cannot be booked with a % provider', service_discipline, provider_discipline
        USING ERRCODE = '23514', CONSTRAINT = 'appointment_discipline_matches_provider';
END IF;
RETURN NEW;
"""

# Nobody is booked who has been discharged. The patient's row is read under a lock a discharge (which locks it to
# write it) conflicts with: the discharge waits for a booking in flight and then sees its session, or the booking
# waits for the discharge and then sees it. The lock is the one the patient's own services take
# (`patient_in_care_hold`, FOR NO KEY UPDATE), not a share lock: two bookings for one patient then go one after the
# other, so neither holds a share lock the other's later lock on the patient (an intake packet, the reduced-fee cap)
# would wait for. Checked when a session is written for a patient or moved; recording an outcome does not ask.
APPOINTMENT_PATIENT_IN_CARE = """
IF (SELECT status FROM patients_patient WHERE id = NEW.patient_id FOR NO KEY UPDATE) = 'discharged' THEN
    RAISE EXCEPTION 'patient % has been discharged', NEW.patient_id
        USING ERRCODE = '23514', CONSTRAINT = 'appointment_patient_in_care';
END IF;
RETURN NEW;
"""

# Nobody is booked with someone who is not an active therapist. The therapist's row is read under a share lock
# first: deactivating someone or changing their roles locks that row to write it, so it waits for a booking in
# flight and then counts its session, or the booking waits for it and then reads what it wrote.
APPOINTMENT_THERAPIST_IN_PRACTICE = """
PERFORM 1 FROM accounts_user WHERE id = NEW.therapist_id FOR SHARE;
IF NOT EXISTS (SELECT 1 FROM accounts_user WHERE id = NEW.therapist_id AND is_active)
   OR NOT EXISTS (
       SELECT 1 FROM accounts_user_groups member JOIN auth_group role ON role.id = member.group_id
        WHERE member.user_id = NEW.therapist_id AND role.name = 'therapist'
   ) THEN
    RAISE EXCEPTION 'user % is not an active therapist', NEW.therapist_id
        USING ERRCODE = '23514', CONSTRAINT = 'appointment_therapist_in_practice';
END IF;
RETURN NEW;
"""

# Nothing is booked at a closed office. Read under a share lock: closing an office (or changing its time zone) locks
# its row to write it, so it waits for a booking in flight and then counts its session, or the booking waits for it.
APPOINTMENT_LOCATION_OPEN = """
IF NOT (SELECT is_active FROM scheduling_location WHERE id = NEW.location_id FOR SHARE) THEN
    RAISE EXCEPTION 'location % is closed', NEW.location_id
        USING ERRCODE = '23514', CONSTRAINT = 'appointment_location_open';
END IF;
RETURN NEW;
"""


def _booked_row_check(name: str, column: str, func: str, **condition) -> pgtrigger.Trigger:
    """A check of what a booked session points at, run when one is written, moved, or pointed elsewhere (`column`);
    recording what happened at a session does not ask it."""
    return pgtrigger.Trigger(
        name=name,
        operation=pgtrigger.Insert | pgtrigger.UpdateOf("start", column),
        when=pgtrigger.Before,
        condition=pgtrigger.Q(new__status=AppointmentStatus.BOOKED, **condition),
        func=func,
    )


@pghistory.track()
class Appointment(clock.LocalSpan, TimeStampedModel):
    """A session at a location: its local times are in the location's zone (a telehealth session's location is the
    therapist's office it is held from)."""

    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
        help_text="Empty for a group meeting; its members are enrollments.",
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="appointments", default=location_default
    )
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments")
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="appointments")
    series = models.ForeignKey(
        AppointmentSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    is_telehealth = models.BooleanField(default=False)
    telehealth_url = models.URLField("Telehealth URL", blank=True)
    status = models.CharField(max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancellation_reason = models.CharField(max_length=300, blank=True)
    override_reason = models.CharField(
        max_length=300, blank=True, help_text="Why staff booked outside working hours or in time off."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["start"]),
            models.Index(fields=["therapist", "start"]),
            models.Index(fields=["patient", "start"]),
            models.Index(fields=["location", "start"]),
            # The calendar's overlap of a week with every session, cancelled ones included, which the exclusion
            # constraints' partial indexes leave out (selectors.overlapping).
            GistIndex(TsTzRange("start", "end"), name="appointment_span"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="appointment_start_before_end"),
            models.CheckConstraint(
                condition=Q(is_telehealth=True, room__isnull=True) | Q(is_telehealth=False),
                name="appointment_telehealth_has_no_room",
            ),
            ExclusionConstraint(
                name="appointment_no_therapist_overlap",
                expressions=[(TsTzRange("start", "end"), RangeOperators.OVERLAPS), ("therapist", RangeOperators.EQUAL)],
                condition=Q(status__in=BLOCKING_STATUSES),
            ),
            ExclusionConstraint(
                name="appointment_no_room_overlap",
                expressions=[(TsTzRange("start", "end"), RangeOperators.OVERLAPS), ("room", RangeOperators.EQUAL)],
                condition=Q(status__in=BLOCKING_STATUSES, room__isnull=False),
            ),
            ExclusionConstraint(
                name="appointment_no_patient_overlap",
                expressions=[(TsTzRange("start", "end"), RangeOperators.OVERLAPS), ("patient", RangeOperators.EQUAL)],
                condition=Q(status__in=BLOCKING_STATUSES, patient__isnull=False),
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="appointment_discipline_matches_provider",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.Before,
                declare=[("service_discipline", "text"), ("provider_discipline", "text")],
                func=APPOINTMENT_DISCIPLINE_MATCH,
            ),
            _booked_row_check(
                "appointment_patient_in_care", "patient_id", APPOINTMENT_PATIENT_IN_CARE, new__patient__isnull=False
            ),
            _booked_row_check("appointment_therapist_in_practice", "therapist_id", APPOINTMENT_THERAPIST_IN_PRACTICE),
            _booked_row_check("appointment_location_open", "location_id", APPOINTMENT_LOCATION_OPEN),
        ]

    def __str__(self) -> str:
        return f"Appointment {self.pk} at {self.start:%Y-%m-%d %H:%M}"

    @property
    def zone(self) -> ZoneInfo:
        if self._meta.get_field("location").is_cached(self):  # a row already at hand (a booking's) costs nothing
            return self.location.zone
        from .zones import location_zone  # the zones module reads this module's Location

        return location_zone(self.location_id)

    @property
    def series_label(self) -> str:
        """How the session's series is named beside it: "weekly" (or "every 2 weeks") while it keeps the series'
        weekday and time; moved on its own, it stays in the series (which books on at the old time) but is no longer
        at that time, so it says where it was moved from. Empty outside a series. Reads `series`: select it."""
        series = self.series
        if series is None:
            return ""
        from .zones import location_zone  # the zones module reads this module's Location

        there = clock.in_zone(self.start, location_zone(series.location_id))
        if there.weekday() == series.weekday and there.time() == series.local_start_time:
            return "weekly" if series.interval_weeks == 1 else f"every {series.interval_weeks} weeks"
        return f"moved from the series' {series.get_weekday_display()} {clock_text(series.local_start_time)}"

    @property
    def has_begun(self) -> bool:
        """Under way or gone by: a patient can no longer cancel it."""
        return clock.now() >= self.start

    @property
    def is_active(self) -> bool:
        return self.status in BLOCKING_STATUSES

    @property
    def status_badge(self) -> str:
        """The badge style the status is shown with."""
        return STATUS_BADGES.get(self.status, "")


class CalendarFeed(TimeStampedModel):
    """A therapist's private iCal subscription URL.

    Only a SHA-256 hash of the token is stored, so a database read cannot rebuild the URL; revoking stops it at once.
    """

    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["therapist"], condition=Q(revoked_at__isnull=True), name="one_live_calendar_feed_per_therapist"
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.therapist}"


class AppointmentTransition(Transition):
    """A session's status change, and each move of a booked session (booked → booked, the reason says from when).

    Billing, programs and the reminders react to these rows (apps.core.transitions)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="transitions")
    # Set on the cancellations of "this and the following sessions": the series ends there and its weekly time
    # is free from the first of them.
    ends_series = models.BooleanField(default=False)

    class Meta(Transition.Meta):
        indexes = [models.Index(fields=["to_status", "at"], name="appt_transition_sweep")]
