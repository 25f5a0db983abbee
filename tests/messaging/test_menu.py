"""The Inbox entry of the staff menu: a therapist who takes messages has it, with their unread count; one who does
not, has not. Whether they take messages is asked inside the menu's one count query, so a therapist's pages cost
the same either way."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.accounts.navigation import navigation_for
from apps.accounts.roles import Role
from apps.core.models import ClinicSettings
from apps.core.settings_kept import clinic_settings_forget
from apps.messaging import services

pytestmark = pytest.mark.django_db

BADGE = '<span class="nav-badge">{}<span class="visually-hidden"> unread</span></span>'


def _inbox_entry(user):
    user = User.objects.get(pk=user.pk)  # roles and permissions as a new request reads them
    return next((item for item in navigation_for(user) if item["url"] == "/inbox/"), None)


def _to_therapist(personas, subject: str = "Flare-up"):
    return services.thread_start(
        actor=personas.patient_user,
        patient=personas.patient,
        therapist=personas.therapist,
        subject=subject,
        text="My back is worse since Sunday.",
    )


def test_a_therapist_who_takes_messages_has_an_inbox_entry_with_their_unread_count(therapist_messages_on, login):
    personas = therapist_messages_on
    _to_therapist(personas)
    _to_therapist(personas, "Homework")
    services.thread_start(actor=personas.patient_user, patient=personas.patient, subject="Parking", text="Where?")

    body = login(personas.therapist).get("/patients/").content.decode()

    assert '<a href="/inbox/">Inbox ' + BADGE.format(2) + "</a>" in body
    assert login(personas.therapist).get("/inbox/").status_code == 200


def test_the_entry_shows_without_a_count_when_nothing_is_unread(therapist_messages_on, login):
    body = login(therapist_messages_on.therapist).get("/patients/").content.decode()
    assert '<a href="/inbox/">Inbox</a>' in body


def test_a_therapist_who_does_not_take_messages_has_no_inbox_entry(personas, login):
    ClinicSettings.objects.update_or_create(id=1, defaults={"patient_messages_to_therapists": True})
    body = login(personas.therapist).get("/patients/").content.decode()
    assert 'href="/inbox/"' not in body
    assert login(personas.therapist).get("/inbox/").status_code == 403


def _takes_messages(personas):
    return True


def _profile_switch_off(personas):
    personas.therapist.therapist_profile.accepts_patient_messages = False
    personas.therapist.therapist_profile.save()
    return False


def _clinic_switch_off(personas):
    ClinicSettings.objects.filter(id=1).update(patient_messages_to_therapists=False)
    clinic_settings_forget()  # a queryset's update() sends no signal
    return False


def _no_settings_saved_yet(personas):
    ClinicSettings.objects.filter(id=1).delete()
    return False


def _also_at_the_front_desk(personas):
    personas.therapist.groups.add(Group.objects.get_or_create(name=Role.FRONT_DESK)[0])
    return True


KINDS = [_takes_messages, _profile_switch_off, _clinic_switch_off, _no_settings_saved_yet, _also_at_the_front_desk]


@pytest.mark.parametrize("kind", KINDS, ids=[k.__name__.strip("_") for k in KINDS])
def test_the_menu_shows_the_inbox_exactly_to_whom_the_inbox_opens(therapist_messages_on, login, kind):
    personas = therapist_messages_on
    expected = kind(personas)
    therapist = User.objects.get(pk=personas.therapist.pk)

    shown = _inbox_entry(therapist) is not None
    allowed = therapist.has_perm("messaging.view_inbox")
    opens = login(therapist).get("/inbox/").status_code == 200

    assert shown == allowed == opens == expected


def _therapist_page_queries(login, therapist) -> list[str]:
    client = login(therapist)
    client.get("/patients/")  # the session's first request settles what later ones read from the cache
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/patients/").status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_a_therapist_who_takes_messages_and_one_who_does_not_cost_a_page_the_same_queries(therapist_messages_on, login):
    personas = therapist_messages_on
    _to_therapist(personas)
    taking = _therapist_page_queries(login, personas.therapist)
    not_taking = _therapist_page_queries(login, personas.other_therapist)

    assert len(taking) == len(not_taking)
    # The check rides in the menu's count query: neither reads the clinic's settings or a profile on its own.
    for queries in (taking, not_taking):
        assert not [sql for sql in queries if sql.startswith('SELECT "core_clinicsettings"')]
        assert not [sql for sql in queries if sql.startswith('SELECT "accounts_therapistprofile"')]
