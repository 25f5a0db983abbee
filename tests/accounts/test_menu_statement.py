"""The menu's count query is compiled once for every reader with the same roles and run with each reader's own id
and the time of the request: it must be, value for value, the query the ORM would compile for that reader."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group

from apps.accounts.models import User
from apps.accounts.navigation import _counts_query, _menu_of, _statement_for, navigation_for
from apps.accounts.roles import Role
from apps.core import clock
from apps.core.models import ClinicSettings
from apps.messaging import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def messages_taken(personas):
    """The clinic lets patients message therapists, the patient's therapist takes messages and has one unread."""
    ClinicSettings.objects.update_or_create(id=1, defaults={"patient_messages_to_therapists": True})
    personas.therapist.therapist_profile.accepts_patient_messages = True
    personas.therapist.therapist_profile.save()
    services.thread_start(
        actor=personas.patient_user, patient=personas.patient, therapist=personas.therapist, subject="Flare", text="."
    )
    return personas


def _reread(user):
    return User.objects.get(pk=user.pk)  # roles and permissions as a new request reads them


def _also(user, role):
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


READERS = {
    "therapist": lambda p: p.therapist,
    "other therapist": lambda p: p.other_therapist,
    "front desk": lambda p: p.front_desk,
    "billing": lambda p: p.billing,
    "admin": lambda p: p.admin,
    "patient": lambda p: p.patient_user,
    "other patient": lambda p: p.other_patient_user,
    "therapist at the front desk too": lambda p: _also(p.therapist, Role.FRONT_DESK),
    "admin and therapist": lambda p: _also(p.therapist, Role.ADMIN),
    "patient account without a record": lambda p: UserFactory(email="norecord@example.test", roles=[Role.PATIENT]),
}


@pytest.mark.parametrize("who", READERS)
def test_each_reader_s_count_query_is_the_one_compiled_for_them(messages_taken, who):
    reader = _reread(READERS[who](messages_taken))
    menu = _menu_of(reader)
    moment = clock.now() - dt.timedelta(minutes=5)

    with clock.recorded_at(moment):
        names, gated, _, sql, params = _counts_query(reader, menu)
        statement = _statement_for(reader, menu)
        bound = statement.params_for(reader)

    assert (statement.names, statement.gated, statement.sql) == (names, gated, sql)
    assert bound == params


def test_readers_with_the_same_roles_each_see_their_own_counts(messages_taken):
    personas = messages_taken
    # The other therapist takes messages too, with nothing unread: the same statement, run for each of them.
    personas.other_therapist.therapist_profile.accepts_patient_messages = True
    personas.other_therapist.therapist_profile.save()

    def inbox_badge(user):
        return next(item["badge"] for item in navigation_for(_reread(user)) if item["url"] == "/inbox/")

    assert [inbox_badge(personas.therapist), inbox_badge(personas.other_therapist)] == [1, 0]
    assert inbox_badge(personas.therapist) == 1


def test_a_patient_account_without_a_record_has_no_book_entry_and_one_with_a_first_session_to_book_has(personas):
    no_record = UserFactory(email="norecord@example.test", roles=[Role.PATIENT])

    def labels(user):
        return [item["label"] for item in navigation_for(_reread(user))]

    assert "Book" in labels(personas.patient_user)
    assert "Book" not in labels(no_record)
    assert "Book" in labels(personas.patient_user)
