"""Which staff members take patients' messages, and which of them a patient may write to: the one definition the
portal's list of recipients, the check a new message makes and the inbox's scope all read."""

from django.db.models import Exists, Q, QuerySet

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.models import ClinicSettings
from apps.patients.selectors import treating_therapists_q

# A therapist still at the clinic (a deactivated one cannot sign in to read anything) who has turned messages on in
# their profile.
_ACCEPTS_MESSAGES = Q(is_active=True, therapist_profile__accepts_patient_messages=True)
_TAKES_MESSAGES = Q(groups__name=Role.THERAPIST) & _ACCEPTS_MESSAGES


def therapists_taking_messages() -> QuerySet[User]:
    """Both switches on: the clinic's (Clinic settings) and the therapist's own (their profile). None while the
    clinic's is off."""
    if not ClinicSettings.load().patient_messages_to_therapists:
        return User.objects.none()
    return User.objects.filter(_TAKES_MESSAGES)


def takes_messages_rows(user) -> QuerySet[User]:
    """A therapist's own row while they take messages, for the menu to ask within its one count query: the same two
    switches as `therapists_taking_messages`, the clinic's asked inside the query instead of read first. The role is
    the caller's to check, from the roles the request already holds (rules.is_therapist)."""
    clinic_switch_on = Exists(ClinicSettings.objects.filter(id=1, patient_messages_to_therapists=True))
    return User.objects.filter(_ACCEPTS_MESSAGES, clinic_switch_on, pk=user.pk)


def takes_messages(user) -> bool:
    return user is not None and therapists_taking_messages().filter(pk=user.pk).exists()


def therapists_taking_messages_from(*, patient) -> QuerySet[User]:
    """The therapists who take messages and treat `patient` (primary, or seen in a session): whom they may write to."""
    return therapists_taking_messages().filter(treating_therapists_q(patient=patient))


def may_write_to(*, patient, therapist) -> bool:
    return therapist is not None and therapists_taking_messages_from(patient=patient).filter(pk=therapist.pk).exists()
