"""A session is flagged when its patient's intake forms are not signed by its start: the selector the day list
uses, and the small flag on the front desk's arrivals."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core import clock
from apps.intake.selectors import with_forms_outstanding
from apps.intake.services import document_publish, packet_send
from apps.scheduling.models import Appointment
from tests.factories import AppointmentFactory

from .conftest import sign, sign_everything

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock_held():
    with time_machine.travel(clock.now(), tick=False):
        yield


def _session_in(personas, hours: float):
    start = clock.now() + dt.timedelta(hours=hours)
    return AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, start=start, end=start + dt.timedelta(minutes=45)
    )


def _flagged(appointment) -> bool:
    return with_forms_outstanding(Appointment.objects.filter(pk=appointment.pk)).get().forms_outstanding


def test_a_session_is_flagged_while_forms_are_outstanding(personas, sent):
    session = _session_in(personas, 2)
    assert _flagged(session)
    sign_everything(personas)
    assert not _flagged(session)


def test_a_session_is_not_flagged_when_nothing_was_sent(personas):
    assert not _flagged(_session_in(personas, 2))


def test_a_new_version_flags_the_session_again(personas, sent, consent):
    session = _session_in(personas, 2)
    sign_everything(personas)
    document_publish(actor=personas.admin, document=consent, body="Updated consent.")
    assert _flagged(session)
    consent.refresh_from_db()
    sign(personas, consent)
    assert not _flagged(session)


def test_a_session_that_started_before_the_packet_was_sent_is_not_flagged(personas):
    earlier = _session_in(personas, -1)
    packet_send(actor=personas.front_desk, patient=personas.patient)
    assert not _flagged(earlier)


def test_a_session_stays_flagged_when_the_forms_were_signed_only_after_it_started(personas, sent):
    earlier = _session_in(personas, 1)
    with time_machine.travel(clock.now() + dt.timedelta(hours=3), tick=False):
        sign_everything(personas)
    assert _flagged(earlier)


def test_the_day_list_shows_the_flag_in_the_same_number_of_queries(personas, login):
    with time_machine.travel(clock.now() - dt.timedelta(days=1), tick=False):
        packet_send(actor=personas.front_desk, patient=personas.patient)
    client = login(personas.front_desk)
    today = clock.local_now().date()

    def _today_at(hour, patient):
        start = clock.local_datetime(today, dt.time(hour))
        return AppointmentFactory(patient=patient, start=start, end=start + dt.timedelta(minutes=45))

    _today_at(7, personas.patient)
    with CaptureQueriesContext(connection) as few:
        page = client.get("/")
    assert b"forms outstanding" in page.content
    for hour in range(8, 18):
        _today_at(hour, personas.patient if hour % 2 else personas.other_patient)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/")
    assert len(many) == len(few)
    assert page.content.count(b"forms outstanding<span") == 6
