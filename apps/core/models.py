import copy
import datetime as dt

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from . import clock
from .settings_kept import clinic_settings_kept


def kept_row_trigger(name: str, func: str) -> pgtrigger.Trigger:
    """A trigger run before any UPDATE or DELETE of a kept row; `func` refuses the change, or lets through the few
    columns that may still move (re-encryption, a read mark)."""
    return pgtrigger.Trigger(name=name, operation=pgtrigger.Update | pgtrigger.Delete, when=pgtrigger.Before, func=func)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Transition(models.Model):
    """One status change of a record, written in the transaction that made it (who, from, to, when, why).

    Each app keeps a concrete table of these for its own record (an appointment's, an enrollment's, an
    assessment's); the rows are the history and, through `TransitionHandled`, the queue the other apps'
    reactions work from (apps.core.transitions)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)  # "" when the record was created
    to_status = models.CharField(max_length=20)
    at = models.DateTimeField(default=clock.now)
    reason = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["pk"]
        # A history: rows are added, never rewritten (the app role cannot switch the trigger off).
        triggers = [pgtrigger.Protect(name="transition_append_only", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return f"{self.from_status or '(new)'} → {self.to_status}"


class TransitionHandled(models.Model):
    """A reaction ran for a transition. Written in the reaction's own transaction, so it commits exactly when the
    reaction's effects do; unique, so the same reaction never runs twice for the same transition."""

    transition_type = models.CharField(
        max_length=100
    )  # the transition model's label, e.g. scheduling.appointmenttransition
    transition_id = models.BigIntegerField()
    reaction = models.CharField(max_length=100)
    handled_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["transition_type", "transition_id", "reaction"], name="transition_handled_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reaction} handled {self.transition_type}#{self.transition_id}"


# What each count of hours, weeks or days a clinic sets may be. A hold or a lead time of zero acts at once (every seat
# offer expired as it was made, a reminder due as the session starts never sent), and one of years overflows the date
# arithmetic (a server error; for a reminder's lead time, on every booking). Two weeks is longer than any notice a
# weekly practice plans around. Held by the form and, for a row written any other way, by the database.
TWO_WEEKS_IN_HOURS = 14 * 24
SETTING_BOUNDS = {
    "cancellation_window_hours": (0, TWO_WEEKS_IN_HOURS),  # 0: no cancellation is late
    "reminder_email_lead_hours": (1, TWO_WEEKS_IN_HOURS),
    "reminder_sms_lead_hours": (1, TWO_WEEKS_IN_HOURS),
    "seat_offer_hold_hours": (1, TWO_WEEKS_IN_HOURS),
    "self_booking_min_notice_hours": (0, TWO_WEEKS_IN_HOURS),  # 0: any slot not yet begun
    "self_booking_horizon_weeks": (1, 52),
    "stranded_after_days": (1, 365),
    "release_valid_days": (1, 3660),  # a release's own words set its term; ten years is past any the clinic uses
}


def _within_bounds(setting: str) -> list:
    least, most = SETTING_BOUNDS[setting]
    return [MinValueValidator(least), MaxValueValidator(most)]


# A National Provider Identifier, the clinic's or a therapist's: printed on superbills, where a mistyped one gets a
# reimbursement claim refused.
NPI_PATTERN = r"\d{10}"
npi_validator = RegexValidator(rf"^{NPI_PATTERN}$", "Ten digits, or empty.")


class ClinicSettings(TimeStampedModel):
    """The clinic's own settings; one row (id=1), edited by admins."""

    name = models.CharField(max_length=200, default="Mind-Body Clinic")
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    tax_id = models.CharField("Tax ID", max_length=20, blank=True)
    npi = models.CharField("Organization NPI", max_length=10, blank=True, validators=[npi_validator])
    telehealth_patient_at_home = models.BooleanField(
        default=True,
        help_text="Superbills give telehealth sessions place of service 10 (patient at home); "
        "untick when patients join from elsewhere (place of service 02).",
    )
    cancellation_window_hours = models.PositiveIntegerField(
        default=24, validators=_within_bounds("cancellation_window_hours")
    )
    reminder_email_lead_hours = models.PositiveIntegerField(
        default=48, validators=_within_bounds("reminder_email_lead_hours")
    )
    reminder_sms_lead_hours = models.PositiveIntegerField(
        "Reminder SMS lead hours", default=2, validators=_within_bounds("reminder_sms_lead_hours")
    )
    seat_offer_hold_hours = models.PositiveIntegerField(default=48, validators=_within_bounds("seat_offer_hold_hours"))
    quiet_hours_start = models.TimeField(
        default=dt.time(21, 0),
        help_text="Texts due in these hours wait until they end, by the patient's clock (else the session's "
        "office's). The same time in both: no quiet hours, and texts go out at any hour.",
    )
    quiet_hours_end = models.TimeField(default=dt.time(8, 0))
    patient_messages_to_therapists = models.BooleanField(
        "Patients may message their therapist",
        default=False,
        help_text="Off: patients' secure messages go to the front desk only. On: also to a treating therapist "
        "who accepts messages in their profile.",
    )
    records_release_session_notes = models.BooleanField(
        "Patients' record downloads include their signed session notes",
        default=False,
        help_text="Off: the download lists sessions, billing, questionnaires and the journal, and patients ask the "
        "clinic for their notes. Process notes and unsigned drafts are never included.",
    )
    self_booking_enabled = models.BooleanField(
        "Patients may book and move sessions online",
        default=True,
        help_text="The whole clinic's switch; each therapist also turns self-booking on for themselves.",
    )
    self_booking_min_notice_hours = models.PositiveIntegerField(
        "Online booking: least notice (hours)",
        default=24,
        validators=_within_bounds("self_booking_min_notice_hours"),
        help_text="Patients cannot book or move a session into a slot starting sooner than this.",
    )
    self_booking_horizon_weeks = models.PositiveIntegerField(
        "Online booking: how far ahead (weeks)",
        default=8,
        validators=_within_bounds("self_booking_horizon_weeks"),
        help_text="Patients see free slots up to this many weeks ahead.",
    )
    stranded_after_days = models.PositiveIntegerField(
        "Waiting lists: flag anyone with no news after (days)",
        default=21,
        validators=_within_bounds("stranded_after_days"),
        help_text="Someone on a program's waitlist or interest list this long with no offer, status notice or "
        "alternative goes on the front desk's work queue.",
    )
    intake_packet_on_series = models.BooleanField(
        "Send the intake packet when a series is booked",
        default=False,
        help_text="Booking a weekly series sends the patient the standard intake packet, unless they have signed it.",
    )
    require_medical_clearance = models.BooleanField(
        "Require medical clearance before psychotherapy starts",
        default=False,
        help_text="A patient's first psychotherapy session can be booked only once a medical clearance from the "
        "referring physician (ruling out structural causes of the pain) is on file, or staff record an exception.",
    )

    release_valid_days = models.PositiveIntegerField(
        "A signed release of information is in force for (days)",
        default=365,
        validators=_within_bounds("release_valid_days"),
        help_text="Referrals go out only under a release signed within this many days. Keep it as the release's own "
        "words say (shipped: one year).",
    )

    class Meta:
        verbose_name = "clinic settings"
        verbose_name_plural = "clinic settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="clinic_settings_single_row"),
            *(
                models.CheckConstraint(
                    condition=models.Q(**{f"{setting}__gte": least, f"{setting}__lte": most}),
                    name=f"clinic_{setting}_in_bounds",
                )
                for setting, (least, most) in SETTING_BOUNDS.items()
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def quiet_hours_off(self) -> bool:
        """Quiet hours that start and end at the same time hold no hours: texts go out at any hour."""
        return self.quiet_hours_start == self.quiet_hours_end

    @classmethod
    def load(cls) -> "ClinicSettings":
        """The settings row, or the defaults while an admin has not saved any. Reading never writes.

        Read once per request and kept between requests until the row is saved (apps.core.settings_kept). Each
        caller gets its own copy, so a form bound to it cannot change what the rest of the page reads."""
        return copy.copy(clinic_settings_kept(lambda: cls.objects.filter(id=1).first() or cls(id=1)))
