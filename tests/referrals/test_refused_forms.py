"""The referral forms (an inbound referral logged, a referral out, a clearance or an exception on the chart) refuse
as every form does: sent with nothing in it, the page comes back with its error summary and the reason by the field,
422, and nothing is written."""

import pytest

from apps.referrals.models import ClearanceDocument, ClearanceException, InboundReferral, OutboundReferral

pytestmark = pytest.mark.django_db


def _refused(response) -> None:
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="error-summary"' in html and "This field is required." in html


def test_an_inbound_referral_sent_empty_is_refused_and_logs_none(personas, login):
    _refused(login(personas.front_desk).post("/referrals/inbound/new/", {}))
    assert not InboundReferral.objects.exists()


def test_a_referral_out_sent_empty_is_refused_and_drafts_none(personas, login):
    _refused(login(personas.therapist).post(f"/referrals/patients/{personas.patient.pk}/outbound/new/", {}))
    assert not OutboundReferral.objects.exists()


def test_a_clearance_exception_sent_empty_is_refused_and_records_neither(personas, login):
    _refused(login(personas.therapist).post(f"/referrals/patients/{personas.patient.pk}/clearance/", {}))
    assert not ClearanceException.objects.exists() and not ClearanceDocument.objects.exists()
