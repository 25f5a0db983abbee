"""Whom a patient may write to: the portal's list of recipients and the check a message makes when it is sent ask
one rule, so for every kind of staff member either both offer them or neither does."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group

from apps.accounts.disciplines import Discipline
from apps.accounts.models import TherapistProfile, User
from apps.accounts.roles import Role
from apps.core import clock
from apps.core.errors import PermissionDenied
from apps.core.models import ClinicSettings
from apps.core.settings_kept import clinic_settings_forget
from apps.messaging import selectors, services
from apps.messaging.models import MessageThread
from apps.scheduling.models import AppointmentStatus
from tests.factories import AppointmentFactory, ServiceTypeFactory, TherapistFactory, UserFactory

pytestmark = pytest.mark.django_db


def _takes_messages(user, on: bool = True) -> None:
    TherapistProfile.objects.update_or_create(user=user, defaults={"accepts_patient_messages": on})


def _session(therapist, patient, *, status=AppointmentStatus.COMPLETED, days_ago: int = 7, **fields) -> None:
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=days_ago), dt.time(16, 0))
    AppointmentFactory(
        therapist=therapist, patient=patient, status=status, start=start, end=start + dt.timedelta(hours=1), **fields
    )


def _own_therapist(personas):
    return personas.therapist


def _therapist_who_does_not_take_messages(personas):
    _takes_messages(personas.therapist, on=False)
    return personas.therapist


def _therapist_who_left(personas):
    User.objects.filter(pk=personas.therapist.pk).update(is_active=False)
    return User.objects.get(pk=personas.therapist.pk)


def _former_therapist_now_at_the_desk(personas):
    personas.therapist.groups.set([Group.objects.get_or_create(name=Role.FRONT_DESK)[0]])
    return User.objects.get(pk=personas.therapist.pk)


def _front_desk_named_as_primary(personas):
    desk = UserFactory(roles=[Role.FRONT_DESK])
    _takes_messages(desk)
    type(personas.patient).objects.filter(pk=personas.patient.pk).update(primary_therapist=desk)
    return desk


def _therapist_seen_in_a_session(personas):
    _takes_messages(personas.other_therapist)
    _session(personas.other_therapist, personas.patient)
    return personas.other_therapist


def _therapist_whose_session_was_cancelled_in_time(personas):
    _takes_messages(personas.other_therapist)
    _session(personas.other_therapist, personas.patient, status=AppointmentStatus.CANCELLED)
    return personas.other_therapist


def _therapist_who_never_treated_them(personas):
    _takes_messages(personas.other_therapist)
    return personas.other_therapist


def _bodywork_provider_who_treats_them(personas):
    provider = TherapistFactory(profile__discipline=Discipline.BODYWORK, profile__accepts_patient_messages=True)
    massage = ServiceTypeFactory(code="RLX60", name="Massage", duration_minutes=60, discipline=Discipline.BODYWORK)
    _session(provider, personas.patient, service_type=massage)
    return provider


def _own_therapist_with_the_clinic_switch_off(personas):
    ClinicSettings.objects.filter(id=1).update(patient_messages_to_therapists=False)
    clinic_settings_forget()  # a queryset's update() sends no signal
    return personas.therapist


KINDS = {
    _own_therapist: True,
    _therapist_seen_in_a_session: True,
    _bodywork_provider_who_treats_them: True,
    _therapist_who_does_not_take_messages: False,
    _therapist_who_left: False,
    _former_therapist_now_at_the_desk: False,
    _front_desk_named_as_primary: False,
    _therapist_whose_session_was_cancelled_in_time: False,
    _therapist_who_never_treated_them: False,
    _own_therapist_with_the_clinic_switch_off: False,
}


@pytest.mark.parametrize(("kind", "expected"), KINDS.items(), ids=[k.__name__.strip("_") for k in KINDS])
def test_the_portals_list_and_the_send_check_agree(therapist_messages_on, login, kind, expected):
    personas = therapist_messages_on
    staff = kind(personas)
    patient = type(personas.patient).objects.get(pk=personas.patient.pk)

    listed = staff in selectors.therapists_taking_messages_from(patient=patient)
    allowed = User.objects.get(pk=personas.patient_user.pk).has_perm("messaging.message_therapist", staff)
    page = login(personas.patient_user).get("/portal/messages/new/").content.decode()
    try:
        services.thread_start(actor=personas.patient_user, patient=patient, therapist=staff, subject="Hi", text="Hi")
        sent = True
    except PermissionDenied:
        sent = False

    assert listed == allowed == sent == expected
    assert (f'<option value="{staff.pk}"' in page) == expected
    assert MessageThread.objects.filter(therapist=staff).exists() == expected
