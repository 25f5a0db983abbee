"""The referrals card reads only the columns it shows of each row: it shows the same rows, in the same order and
with the same values, as whole rows read one table at a time would, and showing them asks nothing more."""

import datetime as dt

import pytest

from apps.referrals import selectors
from apps.referrals.models import ClearanceDocument, ClearanceException, InboundReferral, OutboundReferral
from apps.referrals.services import clearance_exception_grant, clearance_record, inbound_accept, outbound_draft
from tests.referrals.conftest import clearance_pdf, psychiatry_referral

pytestmark = pytest.mark.django_db

INBOUND_SHOWN = ("pk", "provider_name", "received_on", "status", "get_status_display")
OUTBOUND_SHOWN = ("pk", "recipient_name", "status", "get_status_display", "get_recipient_kind_display")


@pytest.fixture
def every_row(personas, receive):
    """Two referrals in (one accepted with its clearance, one waiting with one), a clearance on the chart, an
    exception and two referrals out."""
    today = dt.date(2026, 11, 20)
    accepted = receive(received_on=today - dt.timedelta(days=30), clearance=clearance_pdf(), cleared_by="Dr. Lee")
    inbound_accept(actor=personas.front_desk, referral=accepted)
    receive(received_on=today - dt.timedelta(days=3), clearance=clearance_pdf(), provider_name="Dr. Ana Ruiz")
    clearance_record(actor=personas.front_desk, upload=clearance_pdf(), patient=personas.patient)
    clearance_exception_grant(actor=personas.therapist, patient=personas.patient, reason="Physician on leave.")
    psychiatry_referral(personas)
    outbound_draft(
        actor=personas.therapist,
        patient=personas.patient,
        recipient_kind="physician",
        recipient_name="Dr. Kim Park",
        reason="Sleep study.",
    )
    return personas.patient


def _shown(row, names) -> tuple:
    return tuple(getattr(row, name)() if name.startswith("get_") else getattr(row, name) for name in names)


def test_the_card_shows_each_row_as_the_whole_row_reads(every_row, django_assert_num_queries):
    inbound = list(InboundReferral.objects.filter(patient=every_row).order_by("-received_on", "-pk"))
    outbound = list(OutboundReferral.objects.filter(patient=every_row).order_by("-created_at"))
    documents = list(ClearanceDocument.objects.select_related("recorded_by").order_by("-recorded_at", "-id"))
    exceptions = list(ClearanceException.objects.filter(patient=every_row).select_related("granted_by"))

    with django_assert_num_queries(1):
        found = selectors.patient_referrals(patient=every_row)
    with django_assert_num_queries(0):  # nothing the card shows is left to read
        card_inbound = [_shown(r, INBOUND_SHOWN) for r in found.inbound]
        card_outbound = [_shown(r, OUTBOUND_SHOWN) for r in found.outbound]
        state = found.state
        card_documents = [
            (d.pk, d.recorded_at, d.recorded_by.full_name, d.cleared_by, d.referral_id)
            for d in [*state.documents, *state.awaiting]
        ]
        card_exceptions = [(e.pk, e.granted_at, e.granted_by.full_name) for e in state.exceptions]
        counted, awaiting = state.counted_referrals, state.awaiting_referrals

    assert card_inbound == [_shown(r, INBOUND_SHOWN) for r in inbound] and len(card_inbound) == 2
    assert card_outbound == [_shown(r, OUTBOUND_SHOWN) for r in outbound] and len(card_outbound) == 2
    assert sorted(card_documents) == sorted(
        (d.pk, d.recorded_at, d.recorded_by.full_name, d.cleared_by, d.referral_id) for d in documents
    )
    assert card_exceptions == [(e.pk, e.granted_at, e.granted_by.full_name) for e in exceptions]
    accepted, waiting = sorted(inbound, key=lambda r: r.received_on)
    assert counted == {accepted.pk} and awaiting == {waiting.pk}
    assert state.received and state.excepted


def test_the_apis_list_of_referrals_in_keeps_whether_a_clearance_came_with_each(every_row):
    rows = selectors.patient_inbound(patient=every_row)

    assert [r.pk for r in rows] == [r.pk for r in selectors.patient_referrals(patient=every_row).inbound]
    assert all(r.has_clearance for r in rows)
