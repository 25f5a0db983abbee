"""A release of information ends with the clinic's term (`ClinicSettings.release_valid_days`): once it has ended the
portal and the chart ask for it again, the patient signs the same words again (a renewal), and referrals go out
under the renewal. A release still in force, and any other form, is signed once."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction

from apps.core.errors import InvalidTransition
from apps.intake import selectors
from apps.intake.models import DocumentKind, IntakeDocument, Signature
from apps.intake.services import packet_send
from apps.referrals.services import outbound_send
from tests.locking import at_once
from tests.referrals.conftest import psychiatry_referral

from .conftest import sign

pytestmark = pytest.mark.django_db

ENDED = dt.timedelta(days=400)  # past the shipped term of 365 days
SUBMITS = 4


@pytest.fixture
def release():
    return IntakeDocument.objects.select_related("current_version").get(kind=DocumentKind.RELEASE_OF_INFORMATION)


@pytest.fixture
def signed_release(personas, release):
    packet_send(actor=personas.front_desk, patient=personas.patient, documents=[release])
    signature, _ = sign(personas, release)
    return signature


def _ended(signature):
    return time_machine.travel(signature.signed_at + ENDED, tick=False)


def _sign_post(document):
    version = document.current_version
    return {"version": version.pk, "shown_sha256": version.body_sha256, "typed_name": "Pat Ient"}


def test_an_ended_release_is_to_sign_again_in_the_portal_and_on_the_chart(personas, login, signed_release, release):
    with _ended(signed_release):
        assert selectors.patient_outstanding(patient=personas.patient) == [release]
        assert personas.patient in selectors.patients_with_outstanding()
        portal = login(personas.patient_user)
        assert b"Complete your forms" in portal.get("/portal/").content
        forms = portal.get("/portal/forms/")
        assert [row.document for row in forms.context["outstanding"]] == [release]
        assert b"has ended: please sign again to renew it" in forms.content
        assert b"that permission has ended" in portal.get(f"/portal/forms/{release.pk}/").content
        chart = login(personas.front_desk).get(f"/patients/{personas.patient.pk}/")
        assert b"ended, to sign again" in chart.content


def test_the_patient_signs_it_again_and_the_referral_goes_out_under_the_renewal(
    personas, login, signed_release, release
):
    referral = psychiatry_referral(personas)
    with _ended(signed_release):
        with pytest.raises(InvalidTransition, match="no release of information in force"):
            outbound_send(actor=personas.therapist, referral=referral)
        portal = login(personas.patient_user)
        assert portal.post(f"/portal/forms/{release.pk}/", _sign_post(release)).status_code == 302
        renewal = Signature.objects.exclude(pk=signed_release.pk).get()
        assert (renewal.version, renewal.renewal) == (signed_release.version, 1)
        assert portal.get("/portal/forms/").context["outstanding"] == []
        assert selectors.patient_outstanding(patient=personas.patient) == []
        assert outbound_send(actor=personas.therapist, referral=referral).release == renewal


def test_a_double_submit_of_the_renewal_signs_once(personas, login, signed_release, release):
    with _ended(signed_release):
        portal = login(personas.patient_user)
        assert portal.post(f"/portal/forms/{release.pk}/", _sign_post(release)).status_code == 302
        assert (
            portal.post(f"/portal/forms/{release.pk}/", _sign_post(release)).status_code == 409
        )  # the renewal stands; the page says so
        renewal = Signature.objects.get(renewal=1)
        assert sign(personas, release) == (renewal, False)
    assert Signature.objects.count() == 2


def test_a_renewal_ends_in_its_turn_and_is_renewed_again(personas, signed_release, release):
    with _ended(signed_release):
        first_renewal, _ = sign(personas, release)
    with _ended(first_renewal):
        second_renewal, created = sign(personas, release)
    assert created and second_renewal.renewal == 2


def test_a_release_in_force_is_not_signed_again(personas, signed_release, release):
    with time_machine.travel(signed_release.signed_at + dt.timedelta(days=364, hours=23), tick=False):
        assert sign(personas, release) == (signed_release, False)
        assert selectors.patient_outstanding(patient=personas.patient) == []
    assert Signature.objects.count() == 1


def test_other_forms_do_not_end(personas, sent, consent):
    signature, _ = sign(personas, consent)
    with _ended(signature):
        assert sign(personas, consent) == (signature, False)
        assert consent not in selectors.patient_outstanding(patient=personas.patient)


def test_the_front_desk_sends_an_ended_release_again_and_the_renewal_is_signed_from_it(
    personas, login, signed_release, release
):
    with _ended(signed_release):
        login(personas.front_desk).post(f"/intake/patients/{personas.patient.pk}/send/", {"documents": [release.pk]})
        resent = personas.patient.intake_packets.order_by("-sent_at", "-id").first()
        assert resent != signed_release.packet
        renewal, created = sign(personas, release)
    assert created and renewal.packet == resent


def test_the_database_signs_a_renewal_once_and_keeps_it(personas, signed_release, release):
    with _ended(signed_release):
        renewal, _ = sign(personas, release)
    fields = {f: getattr(renewal, f) for f in ["patient", "version", "document", "signed_by", "text_sha256"]}
    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.create(**fields, typed_name="Pat Ient", signed_at=renewal.signed_at, renewal=1)
    with pytest.raises(IntegrityError, match="cannot be changed or deleted"), transaction.atomic():
        Signature.objects.filter(pk=renewal.pk).update(renewal=5)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submits_of_the_renewal_sign_once(personas, release):
    packet_send(actor=personas.front_desk, patient=personas.patient, documents=[release])
    first, _ = sign(personas, release)
    with _ended(first):
        outcomes = at_once(*[lambda: sign(personas, release)] * SUBMITS)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(was_created for _, was_created in outcomes) == [False] * (SUBMITS - 1) + [True]
    assert list(Signature.objects.order_by("renewal").values_list("renewal", flat=True)) == [0, 1]
