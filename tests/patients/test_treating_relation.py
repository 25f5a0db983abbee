"""Who treats a patient is one relation, read from the patient's side for many patients at once (the pairs the
questionnaire sweep reads, the front desk's list of patients nobody could review) and from the therapists' side
for one patient: every reading gives the same answer for every way a therapist comes to treat someone."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group

from apps.accounts.disciplines import Discipline
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core import clock
from apps.patients.models import Patient
from apps.patients.selectors import (
    treating_psychotherapist_pairs,
    treating_psychotherapists,
    without_treating_psychotherapist,
)
from apps.scheduling.models import AppointmentStatus
from tests.factories import AppointmentFactory, PatientFactory, ServiceTypeFactory, TherapistFactory, UserFactory

pytestmark = pytest.mark.django_db


def _session(therapist, patient, status, days_ahead: int, **fields) -> None:
    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=days_ahead), dt.time(16, 0))
    AppointmentFactory(
        therapist=therapist, patient=patient, status=status, start=start, end=start + dt.timedelta(hours=1), **fields
    )


@pytest.fixture
def cast(personas):
    """Therapists of every kind, and patients each treated (or not) in one of the ways there are."""
    active, other = personas.therapist, personas.other_therapist
    left = TherapistFactory()
    User.objects.filter(pk=left.pk).update(is_active=False)
    bodywork = TherapistFactory(profile__discipline=Discipline.BODYWORK)
    former = TherapistFactory()  # no longer in the therapists' group: a front desk member now
    former.groups.set([Group.objects.get_or_create(name=Role.FRONT_DESK)[0]])
    not_a_therapist = UserFactory(roles=[Role.FRONT_DESK])

    patients = {
        "primary": PatientFactory(primary_therapist=active),
        "primary_who_left": PatientFactory(primary_therapist=left),
        "primary_bodywork": PatientFactory(primary_therapist=bodywork),
        "primary_former": PatientFactory(primary_therapist=former),
        "primary_not_a_therapist": PatientFactory(primary_therapist=not_a_therapist),
        "nobody": PatientFactory(),
    }
    for days_ahead, status in enumerate(AppointmentStatus, start=21):
        patients[f"seen_{status.value}"] = patient = PatientFactory()
        _session(other, patient, status, days_ahead=days_ahead)
    patients["seen_by_bodywork"] = patient = PatientFactory()
    massage = ServiceTypeFactory(code="RLX60", name="Massage", duration_minutes=60, discipline=Discipline.BODYWORK)
    _session(bodywork, patient, AppointmentStatus.COMPLETED, days_ahead=-7, service_type=massage)
    patients["seen_by_one_who_left"] = patient = PatientFactory()
    _session(left, patient, AppointmentStatus.COMPLETED, days_ahead=-7)
    patients["primary_and_seen_by_another"] = patient = PatientFactory(primary_therapist=active)
    _session(other, patient, AppointmentStatus.COMPLETED, days_ahead=-8)
    _session(active, patient, AppointmentStatus.CANCELLED, days_ahead=35)
    return personas, patients


def test_the_pairs_for_many_patients_are_each_patients_psychotherapists(cast):
    personas, patients = cast
    ids = [p.pk for p in patients.values()]

    pairs = treating_psychotherapist_pairs(patient_ids=ids)

    one_by_one = {(p.pk, t.pk) for p in patients.values() for t in treating_psychotherapists(patient=p)}
    assert pairs == one_by_one
    active, other = personas.therapist.pk, personas.other_therapist.pk
    assert pairs == {
        (patients["primary"].pk, active),
        *((patients[f"seen_{s}"].pk, other) for s in AppointmentStatus.values if s != AppointmentStatus.CANCELLED),
        (patients["primary_and_seen_by_another"].pk, active),
        (patients["primary_and_seen_by_another"].pk, other),
    }


def test_the_patients_nobody_treats_are_those_without_a_pair(cast):
    _, patients = cast
    ids = [p.pk for p in patients.values()]
    treated = {patient_id for patient_id, _ in treating_psychotherapist_pairs(patient_ids=ids)}

    untreated = without_treating_psychotherapist(Patient.objects.filter(pk__in=ids))

    assert {p.pk for p in untreated} == set(ids) - treated
    assert {p.pk for p in untreated} == {
        patients[name].pk
        for name in (
            "primary_who_left",
            "primary_bodywork",
            "primary_former",
            "primary_not_a_therapist",
            "nobody",
            "seen_cancelled",
            "seen_by_bodywork",
            "seen_by_one_who_left",
        )
    }
