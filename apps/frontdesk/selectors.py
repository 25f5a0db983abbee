"""The staff home's day, for the front desk and for a therapist: each section read by its own app's selectors, one
query per section (one per waitlist) whatever the number of rows, gathered here. Nothing is decided here that the
apps do not already say."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from apps.accounts.rules import is_psychotherapist
from apps.billing.selectors.ledger import with_patient_balance
from apps.core import clock
from apps.intake.selectors import patients_with_open_answer_flags, with_forms_outstanding
from apps.messaging.selectors import unread_threads_for
from apps.notes.plan_selectors import plan_review_due
from apps.notes.selectors import UnsignedCounts, notes_awaiting_cosign, notes_awaiting_cosign_of, unsigned_note_counts
from apps.notifications.selectors import FailedMessages, messages_failed_latest, unconfirmed, with_confirmation
from apps.outcomes.selectors import patients_with_open_flags as outcomes_open_flags
from apps.outcomes.selectors import with_questionnaires_waiting
from apps.patients.models import Patient
from apps.patients.selectors import treating_patients_q, without_treating_psychotherapist
from apps.programs.selectors import programs_waiting
from apps.scheduling.models import Appointment, AppointmentStatus, Location
from apps.scheduling.selectors import (
    Workday,
    arrivals_on,
    booked_sessions_starting,
    open_days_after,
    therapist_day_rows,
    therapist_workday,
)
from apps.waitlist.selectors import slot_waitlist_waiting

UNCONFIRMED_DAYS = 2  # the next two open days: today's sessions show their confirmation in the arrivals
FAILED_SHOWN = 5
# Who is still to be settled with today: people expected, here, or seen; a no-show is not at the desk.
SETTLING_STATUSES = {AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED}


@dataclass(frozen=True)
class FrontDeskDay:
    location: Location | None  # the one location the day is about, or None for all of them
    zone: ZoneInfo  # the zone its times are in: the location's, else the clinic's
    today: dt.date
    arrivals: list[Appointment]
    to_settle: list[Appointment]
    unconfirmed_days: list[dt.date]  # the next days the clinic (or the location) is open
    unconfirmed: list[Appointment]
    program_waitlists: list[dict]
    program_interest: list[tuple]  # proposed programs and their interest lists: nothing for the desk to offer yet
    slot_waitlist: dict
    failed_messages: FailedMessages
    answers_without_clinician: list[Patient]


def front_desk_day(*, user, location: Location | None = None) -> FrontDeskDay:
    """Today in the clinic's time zone (or at one location, in its zone): who arrives (with their confirmation,
    unanswered questionnaires, balance and intake forms outstanding, in one query); the sessions of the next days
    nobody has confirmed; the waitlists where nobody holds an offer, and apart from them the interest lists of
    proposed programs; and the messages that failed."""
    zone = location.zone if location else clock.clinic_tz()
    today = timezone.localtime(clock.now(), zone).date()
    arrivals = list(
        with_forms_outstanding(
            with_questionnaires_waiting(
                with_patient_balance(with_confirmation(arrivals_on(user=user, day=today, location=location)))
            )
        )
    )
    # From tomorrow through the second day the desk is open: the closed days between (a weekend) come along, as a
    # session someone booked on them still wants confirming.
    open_days = open_days_after(today, UNCONFIRMED_DAYS, location=location)
    first = today + dt.timedelta(days=1)
    span = (open_days[-1] - first).days + 1
    waiting = programs_waiting()
    coming = booked_sessions_starting(user=user, first_day=first, days=span, location=location)
    return FrontDeskDay(
        location=location,
        zone=zone,
        today=today,
        arrivals=arrivals,
        to_settle=[
            a for a in arrivals if a.status in SETTLING_STATUSES and (a.patient_balance > 0 or a.questionnaires_waiting)
        ],
        unconfirmed_days=open_days,
        unconfirmed=list(unconfirmed(coming)),
        program_waitlists=waiting.waitlists,
        program_interest=waiting.interest,
        slot_waitlist=slot_waitlist_waiting(),
        failed_messages=messages_failed_latest(user=user, limit=FAILED_SHOWN),
        answers_without_clinician=answers_without_clinician(),
    )


def answers_without_clinician() -> list[Patient]:
    """Patients with an answer flagged for a clinician's review (PHQ-9 item 9, a risk answer in the intake
    questionnaire) whom no psychotherapist treats, so nobody was told and nobody can review it: a group member with
    no therapist of their own. The desk sees who, never what; setting a psychotherapist as their primary therapist
    puts the answer on that therapist's chart."""
    flagged = Patient.objects.filter(_flagged_patients())
    return list(without_treating_psychotherapist(flagged).order_by("legal_last_name", "legal_first_name", "pk"))


def _flagged_patients() -> Q:
    """Patients with an answer flagged for a clinician's review nobody has reviewed yet: a questionnaire item or an
    intake risk answer."""
    return Q(pk__in=outcomes_open_flags()) | Q(pk__in=patients_with_open_answer_flags())


@dataclass(frozen=True)
class TherapistDay:
    workday: Workday
    rows: list  # (session, its note link) as My day lists them
    notes: UnsignedCounts
    plans_to_review: int
    notes_to_cosign: int
    notes_awaiting_cosign: int  # the therapist's own signed notes still with their supervisor
    unread_threads: int | None  # None for a therapist who takes no messages from patients
    answers_to_review: list[Patient]


def therapist_day(*, user) -> TherapistDay:
    """A therapist's start of the day: today's sessions (My day's rows), the notes and plans waiting on them, the
    conversations they have not read, and the patients they treat whose flagged answers wait for a review (for a
    psychotherapist, the one who reviews them)."""
    workday = therapist_workday(therapist=user)
    answers = (
        Patient.objects.filter(treating_patients_q(therapist=user))
        .filter(_flagged_patients())
        .order_by("legal_last_name", "legal_first_name", "pk")
        if is_psychotherapist(user)
        else Patient.objects.none()
    )
    return TherapistDay(
        workday=workday,
        rows=therapist_day_rows(therapist=user, day=workday.day),
        notes=unsigned_note_counts(therapist=user),
        plans_to_review=plan_review_due(therapist=user).count(),
        notes_to_cosign=notes_awaiting_cosign(supervisor=user).count(),
        notes_awaiting_cosign=notes_awaiting_cosign_of(author=user).count(),
        unread_threads=unread_threads_for(user).count() if user.has_perm("messaging.view_inbox") else None,
        answers_to_review=list(answers),
    )
