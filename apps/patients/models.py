import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper

from apps.core.models import TimeStampedModel
from apps.core.time_zones import time_zone_known_trigger, zone_validate
from apps.core.when import day_text

from .validators import EARLIEST_BIRTH_DATE


class PatientStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DISCHARGED = "discharged", "Discharged"


class ReminderChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class SmsConsentMethod(models.TextChoices):
    """How a patient agreed to texts, or withdrew that agreement: in the portal themselves, or at the desk, where
    the front desk records it."""

    PORTAL = "portal", "In the portal"
    VERBAL = "verbal", "Verbally, at the desk"
    WRITTEN = "written", "On a written form"


# The ways the front desk takes a patient's word on texts; the portal's way is the patient's own.
DESK_CONSENT_METHODS = (SmsConsentMethod.VERBAL, SmsConsentMethod.WRITTEN)


# What the patient search (selectors.patient_search) matches a term against: the names, email and phone by
# substring without case (icontains), the chart number whole without case (iexact).
SEARCHED_FIELDS = ("legal_first_name", "legal_last_name", "preferred_name", "email", "phone", "chart_number")

# The chart fields staff edit directly, in form order. Reminder channels and consent change only
# through their own service, so consent is always recorded.
DEMOGRAPHIC_FIELDS = (
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "time_zone",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
    "primary_therapist",
    "reminder_email",
)


@pghistory.track()
class Patient(TimeStampedModel):
    """The patient chart's demographic core. Clinical content lives in notes and outcomes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="patient"
    )
    chart_number = models.CharField(max_length=20, unique=True, editable=False)
    legal_first_name = models.CharField(max_length=100)
    legal_last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True, help_text="Mobile number in E.164 form, e.g. +16175550123")
    address_line1 = models.CharField("Address line 1", max_length=200, blank=True)
    address_line2 = models.CharField("Address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[zone_validate],
        help_text="IANA zone the patient lives in, when not the clinic's; the portal shows session times in it too.",
    )
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True)
    emergency_contact_relationship = models.CharField(max_length=100, blank=True)
    primary_therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="primary_patients"
    )
    reminder_email = models.BooleanField("Email reminders", default=True)
    reminder_sms = models.BooleanField("Text reminders", default=False)
    sms_consent_at = models.DateTimeField("SMS consent at", null=True, blank=True)
    sms_consent_method = models.CharField(
        "how consent to texts was given", max_length=20, choices=SmsConsentMethod.choices, blank=True
    )
    sms_opted_out_at = models.DateTimeField("SMS opted out at", null=True, blank=True)
    # When the email or mobile number on file last changed (services.patient_update): a link signed for the patient
    # before then went to an address or number someone else may read now (rules.link_sent_before_contact_change).
    contact_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=20, choices=PatientStatus.choices, default=PatientStatus.ACTIVE)
    discharged_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["legal_last_name", "legal_first_name"]
        indexes = [
            models.Index(fields=["legal_last_name", "legal_first_name"]),
            models.Index(fields=["primary_therapist", "status"]),
            # The search's conditions are UPPER(column) LIKE UPPER('%term%') and UPPER(chart_number) = UPPER(term):
            # a trigram index over exactly each of those expressions serves every arm of its OR, so the search does
            # not read every chart. One index per column: the planner costs a multicolumn GIN scan at the whole
            # index, once per arm, and chose a scan of the table over it. No pending list (fastupdate): charts are
            # written rarely, and a long pending list after a bulk load made the planner scan the table instead.
            *[
                GinIndex(
                    OpClass(Upper(f), name="gin_trgm_ops"),
                    name=f"patient_{f.removeprefix('legal_')}_trgm",
                    fastupdate=False,
                )
                for f in SEARCHED_FIELDS
            ],
            models.Index(fields=["date_of_birth"], name="patient_birth_date"),  # a term that is a date
        ]
        triggers = [time_zone_known_trigger("patient_time_zone_known", blank_allowed=True)]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reminder_sms=False) | models.Q(sms_consent_at__isnull=False),
                name="sms_reminders_need_consent",
            ),
            models.CheckConstraint(
                condition=models.Q(status="active", discharged_on__isnull=True)
                | models.Q(status="discharged", discharged_on__isnull=False),
                name="discharge_date_matches_status",
            ),
            models.CheckConstraint(
                condition=models.Q(date_of_birth__gte=EARLIEST_BIRTH_DATE),
                name="patient_born_from_1900",
                violation_error_message="A date of birth before 1900 is not accepted: check the year.",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def first_name(self) -> str:
        """What the clinic calls the patient: their preferred name, else their legal first name."""
        return self.preferred_name or self.legal_first_name

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.legal_last_name}"

    @property
    def choice_label(self) -> str:
        """How staff tell one patient from another in a list to choose from (booking, series, enrolment, the API):
        name, date of birth and chart number, so two people of the same name are never confused."""
        return f"{self.display_name} · born {day_text(self.date_of_birth)} · chart {self.chart_number}"

    @property
    def legal_name(self) -> str:
        return f"{self.legal_first_name} {self.legal_last_name}"

    @property
    def postal_address(self) -> str:
        """The address on one line, each part only when it is known ("12 Elm St, Apt 2, Boston, MA 02101"); empty
        when none is on file, so a page can say so rather than print stray commas."""
        town = ", ".join(part for part in (self.city, self.state) if part)
        place = " ".join(part for part in (town, self.postal_code) if part)
        return ", ".join(part for part in (self.address_line1, self.address_line2, place) if part)

    @property
    def initials(self) -> str:
        return f"{self.legal_first_name[:1]}{self.legal_last_name[:1]}".upper()

    @property
    def is_in_care(self) -> bool:
        """Not discharged: what booking asks of a patient, and what a page asks before offering to book."""
        return self.status == PatientStatus.ACTIVE

    @property
    def signs_in_to_portal(self) -> bool:
        """Whether the portal's pages are open to the patient: what an email linking there may take for granted."""
        return self.user is not None and self.user.can_sign_in

    @property
    def can_receive_sms(self) -> bool:
        return bool(self.phone and self.sms_consent_at and not self.sms_opted_out_at)
