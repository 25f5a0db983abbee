"""The individual-slot waitlist: patients waiting for a weekly time with a therapist, the times freed when a series
ends or is cancelled, and the offers of those times.

The tables kept the names they had when this lived in programs, so links and data from then stay valid.
"""

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel
from apps.scheduling.models import Weekday


class SlotRequestStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Slot offered"
    BOOKED = "booked", "Booked"
    EXPIRED = "expired", "Offer expired"
    CANCELLED = "cancelled", "Cancelled"


LIVE_SLOT_REQUEST_STATUSES = [SlotRequestStatus.WAITING, SlotRequestStatus.OFFERED]


class SlotRequest(TimeStampedModel):
    """A patient waiting for a weekly slot: with one therapist or any, on preferred days and between two times.

    Served first come, first served among the requests a freed slot matches.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="slot_requests")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: any therapist.",
    )
    service_type = models.ForeignKey("scheduling.ServiceType", on_delete=models.PROTECT, related_name="+")
    weekdays = ArrayField(models.PositiveSmallIntegerField(), help_text="Preferred weekdays, 0 = Monday.")
    earliest_start = models.TimeField()
    latest_start = models.TimeField()
    status = models.CharField(max_length=20, choices=SlotRequestStatus.choices, default=SlotRequestStatus.WAITING)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "programs_slotrequest"
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(earliest_start__lte=models.F("latest_start")), name="slot_times_ordered"
            ),
            models.CheckConstraint(condition=~Q(weekdays=[]), name="slot_request_has_weekdays"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="programs_sl_status_58d184_idx")]
        triggers = [
            # A request holding an outstanding offer stays offered: it ends or goes back in line only with its offer
            # answered, given back or expired (checked at commit, when both rows have changed).
            pgtrigger.Trigger(
                name="offered_request_keeps_its_offer",
                when=pgtrigger.After,
                timing=pgtrigger.Deferred,
                operation=pgtrigger.UpdateOf("status"),
                condition=~pgtrigger.Q(new__status=SlotRequestStatus.OFFERED),
                # Deferred, it reads the rows as they stand at commit, not as this change left them.
                func="""
                    IF EXISTS (SELECT 1 FROM programs_slotrequest r JOIN programs_slotoffer o ON o.request_id = r.id
                                WHERE r.id = NEW.id AND r.status <> 'offered' AND o.status = 'outstanding') THEN
                        RAISE EXCEPTION 'slot request % has an outstanding offer but is not offered', NEW.id
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NULL;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"Slot request {self.pk} for {self.patient}"

    @property
    def weekday_labels(self) -> str:
        return ", ".join(Weekday(d).label for d in sorted(self.weekdays))


class FreedSlotStatus(models.TextChoices):
    OPEN = "open", "Open"
    TAKEN = "taken", "Taken"
    # The clinic no longer offers the time (the therapist keeps the hour for something else, the office closes).
    WITHDRAWN = "withdrawn", "Withdrawn"


class FreedSlot(TimeStampedModel):
    """A weekly time that became free when a series ended or was cancelled, offered down the slot waitlist: at the
    office its series was booked at, which taking it books again."""

    series = models.OneToOneField(
        "scheduling.AppointmentSeries", on_delete=models.PROTECT, related_name="freed_slot", null=True, blank=True
    )
    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    local_start_time = models.TimeField()
    duration_minutes = models.PositiveIntegerField()
    location = models.ForeignKey(
        "scheduling.Location",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The office the time is kept at, as its series was: where the sessions are, and whose clock times "
        "them (a video time's too).",
    )
    room = models.ForeignKey("scheduling.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_telehealth = models.BooleanField(default=False)
    free_from = models.DateField(help_text="The first date the time is free.")
    status = models.CharField(max_length=10, choices=FreedSlotStatus.choices, default=FreedSlotStatus.OPEN)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "programs_freedslot"
        ordering = ["free_from", "pk"]
        constraints = [
            # Who withdrew a time and when is kept with it, and only a withdrawn time has them.
            models.CheckConstraint(
                condition=Q(status="withdrawn", withdrawn_at__isnull=False, withdrawn_by__isnull=False)
                | (~Q(status="withdrawn") & Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)),
                name="freed_slot_withdrawn_with_who_and_when",
            )
        ]

    def __str__(self) -> str:
        return f"Freed slot {self.pk}: weekday {self.weekday} {self.local_start_time:%H:%M}"


class SlotOfferStatus(models.TextChoices):
    OUTSTANDING = "outstanding", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    # The time was booked for someone else while it was held: its holder is back in line, in their place.
    WITHDRAWN = "withdrawn", "No longer available"


class SlotOffer(TimeStampedModel):
    """One freed slot offered to one waiting patient, held until `expires_at`."""

    slot = models.ForeignKey(FreedSlot, on_delete=models.PROTECT, related_name="offers")
    request = models.ForeignKey(SlotRequest, on_delete=models.PROTECT, related_name="offers")
    status = models.CharField(max_length=20, choices=SlotOfferStatus.choices, default=SlotOfferStatus.OUTSTANDING)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    series = models.ForeignKey(
        "scheduling.AppointmentSeries", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "programs_slotoffer"
        ordering = ["-created_at"]
        constraints = [
            # A slot is held for one person at a time, and a person holds one slot offer at a time.
            models.UniqueConstraint(
                fields=["slot"], condition=Q(status="outstanding"), name="one_outstanding_offer_per_slot"
            ),
            models.UniqueConstraint(
                fields=["request"], condition=Q(status="outstanding"), name="one_outstanding_offer_per_request"
            ),
            models.UniqueConstraint(fields=["slot", "request"], name="slot_offered_once_per_request"),
        ]
        triggers = [
            # An outstanding offer is held for a request in the offered state (checked at commit: an offer is made
            # before its request is marked offered).
            pgtrigger.Trigger(
                name="outstanding_offer_on_offered_request",
                when=pgtrigger.After,
                timing=pgtrigger.Deferred,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("status", "request_id"),
                condition=pgtrigger.Q(new__status=SlotOfferStatus.OUTSTANDING),
                # Deferred, it reads the rows as they stand at commit, not as this change left them.
                func="""
                    IF EXISTS (SELECT 1 FROM programs_slotoffer o JOIN programs_slotrequest r ON r.id = o.request_id
                                WHERE o.id = NEW.id AND o.status = 'outstanding' AND r.status <> 'offered') THEN
                        RAISE EXCEPTION 'slot offer % is outstanding on a request not offered', NEW.id
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NULL;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"Offer of slot {self.slot_id} to request {self.request_id} ({self.status})"
