"""Inbound referrals: received → in review → accepted onto a chart, or declined with a reason; each step audited."""

import datetime as dt

import pytest

from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.encryption import decrypt_text
from apps.core.errors import InvalidTransition, PermissionDenied, Unprocessable
from apps.referrals.models import InboundReferral, InboundStatus
from apps.referrals.selectors import patient_matches
from apps.referrals.services import inbound_accept, inbound_decline, inbound_receive, inbound_review_start
from tests.factories import PatientFactory

from .conftest import PHYSICIAN, REASON, clearance_pdf

pytestmark = pytest.mark.django_db


def _actions(referral) -> list[str]:
    return list(
        AccessLog.objects.filter(subject_type="referrals.inboundreferral", subject_id=str(referral.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_a_referral_goes_from_received_through_review_to_accepted_with_an_audit_row_each(personas, receive):
    referral = receive()
    assert referral.status == InboundStatus.RECEIVED
    assert decrypt_text(referral.reason_encrypted) == REASON
    inbound_review_start(actor=personas.front_desk, referral=referral)
    referral = inbound_accept(actor=personas.front_desk, referral=referral)
    assert referral.status == InboundStatus.ACCEPTED
    assert referral.decided_by == personas.front_desk and referral.decided_at is not None
    assert _actions(referral) == ["referral_inbound_receive", "referral_inbound_review", "referral_inbound_accept"]
    row = AccessLog.objects.get(action="referral_inbound_accept")
    assert row.patient_id == personas.patient.pk and REASON not in str(row.detail)


def test_a_prospective_patient_is_linked_to_the_chart_the_front_desk_picks_never_duplicated(personas, receive):
    referral = receive(patient=None, prospect_name="Jordan Ellis", prospect_email="jordan@example.test")
    chart = PatientFactory(legal_first_name="Jordan", legal_last_name="Ellis", email="other@example.test")
    assert patient_matches(user=personas.front_desk, referral=referral) == [chart]
    patients_before = type(chart).objects.count()
    referral = inbound_accept(actor=personas.front_desk, referral=referral, patient=chart)
    assert referral.patient == chart
    assert type(chart).objects.count() == patients_before


def test_accepting_a_prospective_patient_without_a_chart_is_refused(personas, receive):
    referral = receive(patient=None, prospect_name="Jordan Ellis")
    with pytest.raises(Unprocessable, match="Link the referral"):
        inbound_accept(actor=personas.front_desk, referral=referral)
    assert InboundReferral.objects.get(pk=referral.pk).status == InboundStatus.RECEIVED


def test_a_referral_for_one_patient_cannot_be_accepted_onto_another(personas, receive):
    referral = receive()
    with pytest.raises(Unprocessable):
        inbound_accept(actor=personas.front_desk, referral=referral, patient=personas.other_patient)


def test_declining_needs_a_reason_and_ends_the_referral(personas, receive):
    referral = receive()
    with pytest.raises(Unprocessable):
        inbound_decline(actor=personas.front_desk, referral=referral, reason="  ")
    referral = inbound_decline(actor=personas.front_desk, referral=referral, reason="Outside our scope")
    assert referral.status == InboundStatus.DECLINED
    assert decrypt_text(referral.decline_reason_encrypted) == "Outside our scope"
    with pytest.raises(InvalidTransition):
        inbound_accept(actor=personas.front_desk, referral=referral)
    assert _actions(referral)[-1] == "referral_inbound_decline"


def test_a_referral_names_someone_and_is_not_received_in_the_future(personas, receive):
    with pytest.raises(Unprocessable, match="prospective patient's name"):
        receive(patient=None)
    with pytest.raises(Unprocessable, match="future"):
        receive(received_on=clock.local_now().date() + dt.timedelta(days=2))
    assert not InboundReferral.objects.exists()


def test_a_clearance_sent_with_the_referral_is_kept_with_it(personas, receive):
    referral = receive(clearance=clearance_pdf(), cleared_by="Dr. Maya Chen")
    [clearance] = referral.clearances.all()
    assert clearance.kind == "application/pdf" and clearance.recorded_by == personas.front_desk
    assert AccessLog.objects.filter(action="clearance_record", patient_id=personas.patient.pk).exists()


@pytest.mark.parametrize("who", ["therapist", "billing", "patient_user"])
def test_only_the_referral_desk_logs_and_decides_referrals(personas, receive, who):
    actor = getattr(personas, who)
    with pytest.raises(PermissionDenied):
        inbound_receive(
            actor=actor, reason=REASON, received_on=clock.local_now().date(), patient=personas.patient, **PHYSICIAN
        )
    referral = receive()
    with pytest.raises(PermissionDenied):
        inbound_accept(actor=actor, referral=referral)
    with pytest.raises(PermissionDenied):
        inbound_decline(actor=actor, referral=referral, reason="No")
