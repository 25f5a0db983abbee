"""Who may do what, by role. Object-level rules live in each app's rules.py."""

import rules

from .disciplines import Discipline, discipline_of
from .roles import Role

# Permissions over clinical content (notes, plans, measures, questionnaires, journals). Their rule alone decides,
# for every caller (user.has_perm, DRF, the {% has_perm %} tag): Django waves an active superuser through any
# has_perm, but a superuser is no clinician, and a process note stays its author's even from them.
CLINICAL_PERMS: set[str] = set()


def add_clinical_perm(name: str, predicate) -> None:
    rules.add_perm(name, predicate)
    CLINICAL_PERMS.add(name)


@rules.predicate
def is_admin(user) -> bool:
    return user.is_authenticated and user.has_role(Role.ADMIN)


@rules.predicate
def is_therapist(user) -> bool:
    return user.is_authenticated and user.has_role(Role.THERAPIST)


@rules.predicate
def is_psychotherapist(user) -> bool:
    return is_therapist(user) and discipline_of(user) == Discipline.PSYCHOTHERAPY


@rules.predicate
def is_bodywork_provider(user) -> bool:
    return is_therapist(user) and discipline_of(user) == Discipline.BODYWORK


@rules.predicate
def is_front_desk(user) -> bool:
    return user.is_authenticated and user.has_role(Role.FRONT_DESK)


@rules.predicate
def is_billing(user) -> bool:
    return user.is_authenticated and user.has_role(Role.BILLING)


@rules.predicate
def is_patient_user(user) -> bool:
    return user.is_authenticated and user.has_role(Role.PATIENT)


@rules.predicate
def is_clinic_staff(user) -> bool:
    return user.is_authenticated and user.is_clinic_staff


rules.add_perm("accounts.manage_users", is_admin)
rules.add_perm("accounts.change_clinic_settings", is_admin)
rules.add_perm("accounts.view_therapists", is_clinic_staff)
# The API's schema and docs map every route and field the clinic has: for its staff (and their scripts), not the
# public nor patients.
rules.add_perm("accounts.read_api_docs", is_clinic_staff)


@rules.predicate
def owns_api_token(user, token) -> bool:
    return token is not None and user.is_authenticated and token.user_id == user.id


@rules.predicate
def is_superuser(user) -> bool:
    return user.is_authenticated and user.is_superuser


# Admins may cut off anyone's token; nobody may mint one for someone else (there is no rule for that at all).
can_revoke_api_token = owns_api_token | is_admin | is_superuser
rules.add_perm("accounts.revoke_api_token", can_revoke_api_token)
