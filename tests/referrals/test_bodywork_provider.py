"""A massage and bodywork provider treating the patient sees the referrals card (who referred, to whom, the
clearance state) but reads no referral's reason and makes no psychotherapy decision: no clearance exception, no
referral out. The front desk's and the treating psychotherapist's access stays as it was."""

import pytest

from apps.core.errors import NotFound, PermissionDenied
from apps.referrals.models import ClearanceException, OutboundReferral
from apps.referrals.selectors import clearance_open, inbound_open, outbound_open
from apps.referrals.services import (
    clearance_exception_grant,
    clearance_record,
    inbound_accept,
    outbound_draft,
    outbound_send,
)

from .conftest import REASON, clearance_pdf

pytestmark = pytest.mark.django_db
OUT_REASON = "OUT-CANARY evaluation for medication to support sleep"


@pytest.fixture
def referrals(personas, receive):
    inbound = receive(clearance=clearance_pdf())
    outbound = outbound_draft(
        actor=personas.therapist,
        patient=personas.patient,
        recipient_kind="psychiatrist",
        recipient_name="Dr. Sam Okafor",
        reason=OUT_REASON,
    )
    return inbound, outbound


def test_the_card_lists_referrals_without_links_to_their_reasons(personas, login, bodywork_provider, referrals):
    inbound, outbound = referrals
    content = login(bodywork_provider).get(f"/patients/{personas.patient.pk}/").content.decode()

    assert "Dr. Maya Chen" in content and "Dr. Sam Okafor" in content
    assert f"/referrals/inbound/{inbound.pk}/" not in content
    assert f"/referrals/outbound/{outbound.pk}/" not in content
    assert "Refer out" not in content


@pytest.mark.parametrize("who", ["front_desk", "therapist"])
def test_the_card_links_each_referral_for_the_desk_and_the_psychotherapist(personas, login, referrals, who):
    inbound, outbound = referrals
    content = login(getattr(personas, who)).get(f"/patients/{personas.patient.pk}/").content.decode()

    assert f"/referrals/inbound/{inbound.pk}/" in content
    assert f"/referrals/outbound/{outbound.pk}/" in content


def test_a_bodywork_provider_reads_no_referral_reason(personas, login, bodywork_provider, referrals):
    inbound, outbound = referrals
    client = login(bodywork_provider)
    api = login(bodywork_provider, api=True)

    for url in (
        f"/referrals/inbound/{inbound.pk}/",
        f"/referrals/outbound/{outbound.pk}/",
        f"/api/referrals/inbound/{inbound.pk}/",
        f"/api/referrals/outbound/{outbound.pk}/",
        f"/api/referrals/inbound/?patient={personas.patient.pk}",
        f"/api/referrals/outbound/?patient={personas.patient.pk}",
    ):
        response = (api if url.startswith("/api/") else client).get(url)
        assert response.status_code == 404, url
        assert REASON not in response.content.decode() and "OUT-CANARY" not in response.content.decode()
    with pytest.raises(NotFound):
        inbound_open(user=bodywork_provider, referral_id=inbound.pk)
    with pytest.raises(NotFound):
        outbound_open(user=bodywork_provider, referral_id=outbound.pk)


def test_a_bodywork_provider_still_downloads_the_clearance_shown_on_the_card(personas, bodywork_provider, referrals):
    inbound, _ = referrals
    [clearance] = inbound.clearances.all()

    assert clearance_open(user=bodywork_provider, clearance_id=clearance.pk) == clearance


def test_a_bodywork_provider_grants_no_clearance_exception(personas, login, bodywork_provider):
    with pytest.raises(PermissionDenied):
        clearance_exception_grant(actor=bodywork_provider, patient=personas.patient, reason="Start now")
    login(bodywork_provider).post(
        f"/referrals/patients/{personas.patient.pk}/clearance/", {"exception-reason": "Start now"}
    )

    assert not ClearanceException.objects.exists()


def test_a_bodywork_provider_neither_drafts_nor_sends_a_referral_out(
    personas, login, bodywork_provider, referrals, signed_release
):
    _, outbound = referrals
    with pytest.raises(PermissionDenied):
        outbound_draft(
            actor=bodywork_provider,
            patient=personas.patient,
            recipient_kind="physician",
            recipient_name="Dr. A",
            reason="R",
        )
    with pytest.raises(PermissionDenied):
        outbound_send(actor=bodywork_provider, referral=outbound)
    response = login(bodywork_provider, api=True).post(f"/api/referrals/outbound/{outbound.pk}/send/", {})

    assert response.status_code in (403, 404)
    assert OutboundReferral.objects.get(pk=outbound.pk).status == "draft"


def _card(client, patient) -> str:
    content = client.get(f"/patients/{patient.pk}/").content.decode()
    start = content.index('id="referrals-card-h"')
    return content[start : content.index("</section>", start)]


def test_the_card_says_one_thing_of_a_clearance_that_came_with_a_referral_not_yet_accepted(
    personas, login, bodywork_provider, receive
):
    inbound = receive(clearance=clearance_pdf())

    waiting = _card(login(bodywork_provider), personas.patient)

    assert "Clearance missing" in waiting and "clearance received" not in waiting.lower()
    assert "counts once the referral is accepted" in waiting and "counted once the referral is accepted" in waiting

    inbound_accept(actor=personas.front_desk, referral=inbound)
    accepted = _card(login(bodywork_provider), personas.patient)

    assert "Clearance received" in accepted and "missing" not in accepted.lower()


def test_a_clearance_on_the_chart_is_not_called_missing_on_a_referral_without_one(
    personas, login, bodywork_provider, receive
):
    receive()
    clearance_record(actor=personas.front_desk, upload=clearance_pdf(), patient=personas.patient)

    card = _card(login(bodywork_provider), personas.patient)

    assert "Clearance received" in card and "missing" not in card.lower()
