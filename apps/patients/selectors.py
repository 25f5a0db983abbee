"""Reads of patient charts, scoped to what the user may see. Opening a chart is access-logged."""

import contextlib
import datetime as dt
import operator
import re
from dataclasses import dataclass
from functools import reduce

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower

from apps.accounts.disciplines import Discipline
from apps.accounts.models import AccountEmail, Invitation, User
from apps.accounts.roles import Role
from apps.accounts.selectors import account_emails_undelivered, invitation_outstanding, therapists_of
from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import ApplicationError, NotFound
from apps.core.phones import PUNCTUATION

from .models import Patient

# Who treats whom is the patient's own relation: their primary therapist and anyone who has a session with them,
# read through the patient's sessions (`appointments`) so that the chart never asks the scheduling app. A session
# cancelled in time (booked with the wrong therapist, or a first session the patient called off) makes nobody their
# therapist; a late cancellation or a no-show was theirs to keep, and is charged as such.
TREATING_STATUSES = ("booked", "checked_in", "completed", "late_cancelled", "no_show")

# The ways a therapist comes to treat a patient, each the path from a patient's row to that therapist and what must
# hold along it. Every reading of the relation below, from either side and for one patient or many, is built from
# these, so that the chart, the messages a patient may send and the review of their answers never disagree.
PRIMARY_LINK = ("primary_therapist", {})
SESSION_LINK = ("appointments__therapist", {"appointments__status__in": TREATING_STATUSES})
TREATING_LINKS = (PRIMARY_LINK, SESSION_LINK)


def _link_q(link, therapist, *, lookup: str = "exact") -> Q:
    """Q over patients linked to `therapist` (a user, an id, an expression such as OuterRef; with lookup="in", a
    queryset of them) by `link`."""
    path, along = link
    return Q(**{f"{path}__{lookup}": therapist}, **along)


def _treated_by_q(therapist, *, lookup: str = "exact") -> Q:
    """Q over patients `therapist` treats, by any link. It joins the patients' sessions: read it inside an Exists,
    where a patient with many sessions does not come back once per session."""
    return reduce(operator.or_, (_link_q(link, therapist, lookup=lookup) for link in TREATING_LINKS))


def treating_patients_q(*, therapist, patient_ref: str = "pk") -> Q:
    """Q for patients a therapist treats: their primary patients and anyone they have a session with."""
    seen = Patient.objects.filter(_link_q(SESSION_LINK, therapist), pk=OuterRef(patient_ref))
    return _link_q(PRIMARY_LINK, therapist) | Q(Exists(seen))


def treating_therapists_q(*, patient) -> Q:
    """Q for the users who treat `patient`: the same relation read from the therapists' side."""
    return Q(Exists(Patient.objects.filter(_treated_by_q(OuterRef("pk")), pk=patient.pk)))


def _active_psychotherapists() -> QuerySet[User]:
    return therapists_of(discipline=Discipline.PSYCHOTHERAPY).filter(is_active=True)


def treating_psychotherapists(*, patient) -> QuerySet[User]:
    """The active psychotherapists who treat `patient`: who reads their psychotherapy content and is told when an
    answer of theirs needs a clinician's review. A massage and bodywork provider is never one of them."""
    return _active_psychotherapists().filter(treating_therapists_q(patient=patient)).distinct()


def treating_psychotherapist_pairs(*, patient_ids) -> set[tuple[int, int]]:
    """(patient id, psychotherapist id) for every active psychotherapist treating each of `patient_ids` (ids, or a
    queryset of them): `treating_psychotherapists` for many patients at once, in one query whatever their number."""
    psychotherapists = _active_psychotherapists().order_by().values("pk")
    patients = Patient.objects.filter(pk__in=patient_ids).order_by()
    by_link = [
        patients.filter(_link_q(link, psychotherapists, lookup="in")).values_list("pk", link[0])
        for link in TREATING_LINKS
    ]
    return set(by_link[0].union(*by_link[1:]))


def without_treating_psychotherapist(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """The patients among `patients` whom no active psychotherapist treats: nobody could review their answers."""
    psychotherapists = _active_psychotherapists().order_by().values("pk")
    treated = Patient.objects.filter(_treated_by_q(psychotherapists, lookup="in"), pk=OuterRef("pk"))
    return patients.filter(~Exists(treated))


def therapist_has_seen(*, therapist, patient_id: int) -> bool:
    return Patient.objects.filter(_link_q(SESSION_LINK, therapist), pk=patient_id).exists()


def patients_visible_to(*, user) -> QuerySet[Patient]:
    qs = Patient.objects.select_related("primary_therapist")
    if not user.is_authenticated:
        return qs.none()
    if user.has_role(Role.ADMIN, Role.FRONT_DESK, Role.BILLING):
        return qs
    if user.has_role(Role.THERAPIST):
        return qs.filter(treating_patients_q(therapist=user))
    if user.has_role(Role.PATIENT):
        return qs.filter(user=user)
    return qs.none()


def patient_search(*, user, query: str = "", status: str | None = None) -> QuerySet[Patient]:
    qs = patients_visible_to(user=user)
    if status:
        qs = qs.filter(status=status)
    # Postgres text never holds NUL, so a NUL typed or pasted into the search matches nothing of itself.
    birth_dates, query = _written_birth_dates(query.replace("\x00", ""))
    for birth_date in birth_dates:
        qs = qs.filter(date_of_birth=birth_date)
    # A comma parts words as a space does: "Fischer, Alex" is the name written last name first.
    for term in query.replace(",", " ").split():
        term_q = (
            Q(legal_first_name__icontains=term)
            | Q(legal_last_name__icontains=term)
            | Q(preferred_name__icontains=term)
            | Q(email__icontains=term)
            | Q(phone__icontains=term)
            | Q(chart_number__iexact=term)
        )
        # Numbers are kept in international form (+16175550123); a part of one typed as people write it
        # ("(617)", "555-0123", "617.555.0123") is looked for by its digits.
        digits = PUNCTUATION.sub("", term)
        if digits != term and digits.isdigit():
            term_q |= Q(phone__icontains=digits)
        if (birth_date := _birth_date(term)) is not None:
            term_q |= Q(date_of_birth=birth_date)
        qs = qs.filter(term_q)
    return qs


# A birth date written month first, as the desk writes it: 4/6/1997, 04/06/1997 or 4/6/97.
MONTH_FIRST_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})")
# A birth date written out, as the chart shows it: "April 6, 1997" or "Apr 6 1997". Several words, so it is taken
# out of the query before the query is split into words.
WRITTEN_OUT_DATE = re.compile(r"\b([A-Za-z]{3,9})\.? +(\d{1,2}),? +(\d{4})\b")
# In English whatever the server's locale (the pages are in English).
MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, 1)} | {
    name[:3]: number for number, name in enumerate(MONTH_NAMES, 1)
}


def _birth_date(term: str) -> dt.date | None:
    """The date a search word names, ISO (1997-04-06) or month first (4/6/1997, 4/6/97), or None. A two-digit year
    is the latest one not after this year: a birth date is in the past."""
    with contextlib.suppress(ValueError):
        return dt.date.fromisoformat(term)
    if not (match := MONTH_FIRST_DATE.fullmatch(term)):
        return None
    month, day, year = (int(part) for part in match.groups())
    if len(match.group(3)) == 2:
        this_year = clock.local_now().year
        year += this_year - this_year % 100
        if year > this_year:
            year -= 100
    with contextlib.suppress(ValueError):
        return dt.date(year, month, day)
    return None


def _written_birth_dates(query: str) -> tuple[list[dt.date], str]:
    """The dates written out in the query ("April 6, 1997"), and the query without them."""
    found = []

    def take(match: re.Match) -> str:
        month = MONTHS.get(match.group(1).lower())
        try:
            day = dt.date(int(match.group(3)), month, int(match.group(2))) if month else None
        except ValueError:  # April 31
            day = None
        if day is None:
            return match.group(0)  # not a date after all ("Room 12 2024"): left to be searched as words
        found.append(day)
        return " "

    return found, WRITTEN_OUT_DATE.sub(take, query)


MAX_DUPLICATES = 10


def patient_possible_duplicates(
    *,
    legal_first_name: str = "",
    legal_last_name: str = "",
    date_of_birth=None,
    email: str = "",
    among: QuerySet[Patient] | None = None,
    excluding: Patient | None = None,
) -> list[Patient]:
    """Charts that may be the person being registered, or whom a chart is being changed to: the same legal first
    and last name (ignoring case and surrounding spaces) and the same date of birth, or the same email (ignoring
    case); a name without a birth date, or a blank email, matches nothing. Discharged charts count: a returning
    patient should get their old chart back. The one matching rule for the chart's pages and the API, on creating a
    chart and on changing one.

    Searched `among` the charts given (every chart when None: those who register patients, front desk and admins,
    see them all), leaving out `excluding`, the chart being changed."""
    ways = []
    if date_of_birth is not None and legal_first_name.strip() and legal_last_name.strip():
        ways.append(
            Q(
                legal_first_name__iexact=legal_first_name.strip(),
                legal_last_name__iexact=legal_last_name.strip(),
                date_of_birth=date_of_birth,
            )
        )
    if email.strip():
        ways.append(Q(email__iexact=email.strip()))
    if not ways:
        return []
    charts = Patient.objects.all() if among is None else among
    if excluding is not None:
        charts = charts.exclude(pk=excluding.pk)
    same_person = reduce(operator.or_, ways)
    return list(charts.filter(same_person).order_by("legal_last_name", "pk")[:MAX_DUPLICATES])


def patient_get_for(*, user, patient_id, perm: str, action: str, refusal: ApplicationError | None = None) -> Patient:
    """The patient a page or an API call is about, if `user` holds `perm` on them. A refusal writes one refused
    row under `action`, naming the user and the patient, and answers the NotFound a missing patient answers, so the
    answer leaks nothing. `refusal` is answered instead only to a user who may see the patient anyway (the front
    desk refused a clinical action): telling them why tells them nothing new. The lookup itself writes no allowed
    row: what is read about the patient is logged where it is read."""
    patient = Patient.objects.select_related("primary_therapist").filter(pk=patient_id).first()
    if patient is None:
        raise NotFound("No such patient.")
    if not user.has_perm(perm, patient):
        access_log_write(actor=user, action=action, subject=patient, patient_id=patient.pk, allowed=False)
        if refusal is not None and user.has_perm("patients.view_patient", patient):
            raise refusal
        raise NotFound("No such patient.")
    return patient


def narrowed_to_a_patient_seen(rows: QuerySet, *, user, patient_id: int | None, action: str) -> QuerySet:
    """`rows`, a list already scoped to `user` and narrowed to one patient (?patient=, `patient_id`; None when it is
    not narrowed). When it shows them nothing of a patient they may not see, the attempt is refused as
    `patient_get_for` refuses (one refused row under `action`); the list answers empty, as it does for a patient
    who does not exist. Rows the user sees through another relation (a supervisor, their supervisee's plans) stay."""
    if patient_id is not None and not rows.exists():
        with contextlib.suppress(NotFound):
            patient_get_for(user=user, patient_id=patient_id, perm="patients.view_patient", action=action)
    return rows


def patient_open_chart(*, user, patient_id, perm: str = "patients.view_patient") -> Patient:
    """Return the chart if the user has `perm` on it; log the read, or the denied attempt, either way.

    A denied or missing chart answers the same NotFound so the answer leaks nothing.
    """
    patient = Patient.objects.select_related("primary_therapist", "user").filter(pk=patient_id).first()
    if patient is None:
        raise NotFound("No such patient.")
    if not user.has_perm(perm, patient):
        access_log_write(actor=user, action="chart_view", subject=patient, patient_id=patient.pk, allowed=False)
        raise NotFound("No such patient.")
    access_log_write(actor=user, action="chart_view", subject=patient, patient_id=patient.pk)
    return patient


def patients_by_id(ids) -> dict[int, Patient]:
    """Charts by primary key for labelling rows that name patients by id (the access log). One query."""
    fields = ("pk", "legal_first_name", "preferred_name", "legal_last_name", "chart_number")
    return Patient.objects.only(*fields).in_bulk({i for i in ids if i is not None})


def portal_invitable(patient: Patient) -> bool:
    """Whether a portal invitation may be sent (again): never to an account that has a password, whether it signs in
    or was closed; an invitation not yet accepted (emailed, expired, or never emailed because the mail server refused
    it) is replaced by the new one."""
    return patient.user is None or not patient.user.has_usable_password()


@dataclass(frozen=True)
class PortalStanding:
    """How the patient stands with the portal, as the chart tells it. `account` is "active" (they sign in),
    "invited" (not yet accepted), "closed" (the account was deactivated) or "none" (never invited); an invited
    patient's `invitation` is the one not yet accepted, whose `standing` says whether it was emailed, waits to be,
    could not be, or expired (None when it was withdrawn without a new one: no link works). An active account's
    `undelivered` are the emails about it the worker gave up on (a reset link, a notice), newest first."""

    account: str
    invitation: Invitation | None = None
    undelivered: tuple[AccountEmail, ...] = ()


def portal_account(patient: Patient) -> str:
    """`PortalStanding.account` alone, read from the chart's user with no query of its own."""
    user = patient.user
    if user is None:
        return "none"
    if user.can_sign_in:
        return "active"
    return "invited" if user.invitation_pending else "closed"


def portal_standing(patient: Patient) -> PortalStanding:
    """Only an active account or a pending invitation costs a query."""
    account = portal_account(patient)
    if account == "active":
        return PortalStanding(account, undelivered=tuple(account_emails_undelivered().filter(user=patient.user)))
    if account == "invited":
        return PortalStanding(account, invitation_outstanding(user=patient.user))
    return PortalStanding(account)


def contact_addresses_held(*, patient_ids) -> dict[int, tuple[set[str], set[str]]]:
    """Every email (lowercased) and mobile number each of the charts has had, current ones included, from the chart's
    row history: the addresses and numbers that were the patient's own. One query."""
    held: dict[int, tuple[set[str], set[str]]] = {}
    rows = (
        Patient.pgh_event_model.objects.filter(pgh_obj_id__in=patient_ids)
        .order_by()
        .values_list("pgh_obj_id", Lower("email"), "phone")
        .distinct()
    )
    for patient_id, email, phone in rows:
        emails, phones = held.setdefault(patient_id, (set(), set()))
        emails.add(email)
        phones.add(phone)
    return held
