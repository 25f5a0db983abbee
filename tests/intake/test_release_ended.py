"""When a release of information ends (the clinic's term after signing), the patient is told once, by a notice with a
link to their forms and nothing else, and the referrals card on the chart (the patient page and the psychotherapist's
clinical chart) says the release needs signing again, until they do."""

import datetime as dt

import pytest
import time_machine

from apps.core.models import ClinicSettings
from apps.intake.tasks import release_renewals_notify
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from apps.patients.services import patient_discharge
from tests.referrals.conftest import signed_release  # noqa: F401 (a fixture)

from .conftest import sign

pytestmark = pytest.mark.django_db

NEEDS_RENEWING = "Release of information ended"


def _notices():
    return Message.objects.filter(template="release_renewal_due")


def _term() -> dt.timedelta:
    return dt.timedelta(days=ClinicSettings.load().release_valid_days)


def test_the_patient_is_told_once_with_a_link_only_when_the_release_ends(personas, signed_release):  # noqa: F811
    ended = signed_release.signed_at + _term()
    with time_machine.travel(ended - dt.timedelta(hours=1), tick=False):
        assert release_renewals_notify() == 0
    with time_machine.travel(ended + dt.timedelta(hours=1), tick=False):
        assert release_renewals_notify() == 1
        assert release_renewals_notify() == 0

    [message] = _notices().filter(channel="email")
    assert message.patient == personas.patient
    assert set(message.context) <= {"patient_first_name", "portal_url"}
    assert "/portal/" in message.context["portal_url"]
    rendered = message_render(template=message.template, context=message.context, channel="email")
    assert message.context["portal_url"] in rendered.text


def test_the_chart_says_the_release_needs_renewing_until_it_is_signed_again(
    personas,
    login,
    signed_release,  # noqa: F811
):
    ended = signed_release.signed_at + _term()
    chart = f"/notes/patients/{personas.patient.pk}/chart/"
    page = f"/patients/{personas.patient.pk}/"
    assert NEEDS_RENEWING not in login(personas.therapist).get(chart).content.decode()

    with time_machine.travel(ended + dt.timedelta(hours=1), tick=False):
        therapist = login(personas.therapist)  # signed in again a year on
        assert NEEDS_RENEWING in therapist.get(chart).content.decode()
        assert NEEDS_RENEWING in login(personas.front_desk).get(page).content.decode()
        sign(personas, signed_release.document)
        assert NEEDS_RENEWING not in therapist.get(chart).content.decode()
        assert release_renewals_notify() == 0


def test_a_discharged_patient_is_not_asked(personas, signed_release):  # noqa: F811
    patient_discharge(actor=personas.front_desk, patient=personas.patient)
    with time_machine.travel(signed_release.signed_at + _term() + dt.timedelta(hours=1), tick=False):
        assert release_renewals_notify() == 0
