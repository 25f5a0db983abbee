"""Reads of accounts beyond a plain get."""

import datetime as dt

from django.conf import settings
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from apps.core import clock

from .disciplines import Discipline
from .models import AccountEmail, AccountEmailKind, ApiToken, Invitation, TherapistProfile, User
from .roles import STAFF_ROLES, Role


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first; revoked and expired ones stay listed as history."""
    return ApiToken.objects.filter(user=user).select_related("revoked_by").order_by("-created_at")


def api_tokens_live_of_others(*, user: User) -> QuerySet[ApiToken]:
    """Other people's unrevoked, unexpired tokens: what an admin may still need to cut off."""
    return (
        ApiToken.objects.exclude(user=user)
        .filter(revoked_at__isnull=True, expires_at__gt=clock.now())
        .select_related("user")
        .order_by("user__email", "-created_at")
    )


def email_signs_in(*, email: str) -> bool:
    """Whether an account already signs in with this address (addresses are kept in lower case, one per account)."""
    return User.objects.filter(email__iexact=email.strip()).exists()


def active_therapists() -> QuerySet[User]:
    """Therapists who can be booked, named on forms and API inputs that choose one."""
    return User.objects.filter(groups__name=Role.THERAPIST, is_active=True)


# Everyone under a therapist in supervision, however far down: UNION (not UNION ALL) ends the walk round a loop.
_SUPERVISED_UNDER = """
WITH RECURSIVE under(user_id) AS (
    SELECT user_id FROM accounts_therapistprofile WHERE supervisor_id = %s
    UNION
    SELECT p.user_id FROM accounts_therapistprofile p JOIN under ON p.supervisor_id = under.user_id
)
SELECT user_id FROM under
"""


def supervisor_rule(*, therapist: User, discipline: str) -> dict[str, Q]:
    """The one rule for who may supervise `therapist` in `discipline`, predicate by predicate, each true of a user who
    meets it: someone `other` than the therapist, `active`, a `therapist`, `licensed`, of the same `discipline`, and
    `outside_supervision` (not supervised by the therapist, directly or through a chain: two who supervised each
    other would each read the other's signed plans). The list a form offers is everyone meeting them all
    (supervisors_eligible); a refusal says which ones the person named does not meet (supervisor_shortfalls)."""
    profile = TherapistProfile.objects.filter(user=OuterRef("pk"))
    of_discipline = Q(Exists(profile.filter(discipline=discipline)))
    if discipline == Discipline.PSYCHOTHERAPY:  # a therapist without a profile row is a psychotherapist
        of_discipline |= ~Exists(profile)
    return {
        "other": ~Q(pk=therapist.pk),
        "active": Q(is_active=True),
        "therapist": Q(Exists(User.groups.through.objects.filter(user=OuterRef("pk"), group__name=Role.THERAPIST))),
        "licensed": ~Exists(profile.filter(is_prelicensed=True)),
        "discipline": of_discipline,
        # A constant query, the therapist's id a bound parameter: nothing typed reaches the SQL.
        "outside_supervision": ~Q(pk__in=RawSQL(_SUPERVISED_UNDER, [therapist.pk])),  # noqa: S611
    }


def supervisors_eligible(*, therapist: User, discipline: str) -> QuerySet[User]:
    """Who may be named `therapist`'s supervisor in `discipline`, by name: everyone meeting supervisor_rule."""
    return User.objects.filter(*supervisor_rule(therapist=therapist, discipline=discipline).values()).order_by(
        "last_name", "first_name", "pk"
    )


def supervisor_shortfalls(*, therapist: User, supervisor: User, discipline: str) -> set[str]:
    """The names of the supervisor_rule predicates `supervisor` does not meet for `therapist` in `discipline`, read
    from the database as it stands (under the staff-changes lock, what a change that came first made of them); empty
    exactly when supervisors_eligible lists them."""
    rule = supervisor_rule(therapist=therapist, discipline=discipline)
    met = (
        User.objects.filter(pk=supervisor.pk)
        .annotate(**{f"meets_{name}": ExpressionWrapper(predicate, BooleanField()) for name, predicate in rule.items()})
        .values(*(f"meets_{name}" for name in rule))
        .get()
    )
    return {name for name in rule if not met[f"meets_{name}"]}


def supervisees_practising(*, supervisor: User) -> QuerySet[User]:
    """The therapists whose profile names `supervisor` and who practise, by name: active accounts, and people invited
    whose link still works (accepting it makes them active, with nobody asked again). These are who the supervisor
    co-signs for and who keep them an active, licensed therapist of their discipline. A supervisee who left (or is
    no longer a therapist) keeps the link as history only: coming back checks it again
    (services.staff_reactivation_refusal)."""
    live_invitation = Invitation.objects.filter(
        user=OuterRef("pk"), accepted_at=None, revoked_at=None, expires_at__gt=clock.now()
    )
    return (
        User.objects.filter(therapist_profile__supervisor=supervisor, groups__name=Role.THERAPIST)
        .filter(Q(is_active=True) | Exists(live_invitation))
        .order_by("last_name", "first_name", "pk")
    )


def therapists_of(*, discipline: str) -> QuerySet[User]:
    """Therapists of one discipline, by email; one without a profile row is a psychotherapist."""
    therapists = User.objects.filter(groups__name=Role.THERAPIST).order_by("email")
    if discipline == Discipline.PSYCHOTHERAPY:
        return therapists.exclude(therapist_profile__discipline=Discipline.BODYWORK)
    return therapists.filter(therapist_profile__discipline=discipline)


def upcoming_sessions_outside(*, therapist: User, discipline: str) -> int:
    """How many booked, coming sessions of the therapist are of a service outside `discipline`: what changing
    them to that discipline would leave with the wrong kind of provider."""
    return _booked_ahead(therapist).exclude(service_type__discipline=discipline).count()


def staff_members() -> QuerySet[User]:
    """Everyone with a staff role, deactivated ones too, by name: the Users page (patients are kept on their charts).
    Each carries `outstanding_invitations`, the invitation not yet accepted (at most one), for how it stands, and
    `undelivered_account_emails` (`account_emails_undelivered`)."""
    return (
        User.objects.filter(groups__name__in=STAFF_ROLES)
        .distinct()
        .select_related("therapist_profile")
        .prefetch_related(
            "groups",
            Prefetch("invitations", queryset=_outstanding_invitations(), to_attr="outstanding_invitations"),
            Prefetch("account_emails", queryset=account_emails_undelivered(), to_attr="undelivered_account_emails"),
        )
        .order_by("last_name", "first_name", "pk")
    )


def staff_member(*, user_id) -> User | None:
    return staff_members().filter(pk=user_id).first()


def other_active_admins(*, user: User) -> int:
    """Active admins besides `user`: the clinic keeps at least one who can manage everyone else."""
    return User.objects.filter(groups__name=Role.ADMIN, is_active=True).exclude(pk=user.pk).count()


def booked_sessions_ahead(*, therapist: User) -> int:
    """The therapist's booked sessions still to come: what taking them off the schedule would strand."""
    return _booked_ahead(therapist).count()


def _booked_ahead(therapist: User) -> QuerySet:
    return therapist.appointments.filter(
        status="booked", start__gt=clock.now()
    )  # scheduling's AppointmentStatus.BOOKED


def invitation_live(*, user: User) -> bool:
    """Whether a link the person was sent still works (not accepted, not revoked, not expired)."""
    return Invitation.objects.filter(user=user, accepted_at=None, revoked_at=None, expires_at__gt=clock.now()).exists()


def invitation_outstanding(*, user: User) -> Invitation | None:
    """The person's invitation neither accepted nor revoked, expired or not: at most one (a database constraint), the
    newest they were sent. What staff pages say of an invitation (Invitation.standing) is said of this one."""
    return _outstanding_invitations().filter(user=user).first()


def _outstanding_invitations() -> QuerySet[Invitation]:
    return Invitation.objects.filter(accepted_at=None, revoked_at=None)


def account_emails_undelivered() -> QuerySet[AccountEmail]:
    """Account emails the worker gave up on, newest first, but for those an email of the same kind to the same person
    went out after (a reset link asked for again and emailed): what an admin still needs to act on."""
    sent_since = AccountEmail.objects.filter(
        user=OuterRef("user"), kind=OuterRef("kind"), sent_at__isnull=False, created_at__gt=OuterRef("created_at")
    )
    return AccountEmail.objects.filter(failed_at__isnull=False).filter(~Exists(sent_since))


def account_emails_recent(*, user: User, limit: int = 5) -> list[AccountEmail]:
    """The latest emails about the person's account and how each stands, for their staff page."""
    return list(AccountEmail.objects.filter(user=user)[:limit])


def sign_in_email_change_waiting(*, user: User) -> AccountEmail | None:
    """The change of sign-in email `user` asked for whose link they have yet to open, for the portal's Settings page
    to say where it went (or that it could not be delivered): their newest request, made within the link's lifetime
    (CLINIC_SIGN_IN_EMAIL_CONFIRM_HOURS), while they still sign in with the address it replaces. One query."""
    newest = AccountEmail.objects.filter(user=user, kind=AccountEmailKind.SIGN_IN_EMAIL_CONFIRM).order_by("-pk").first()
    lifetime = dt.timedelta(hours=settings.CLINIC_SIGN_IN_EMAIL_CONFIRM_HOURS)
    if newest is None or newest.old_address != user.email or newest.created_at <= clock.now() - lifetime:
        return None
    return newest
