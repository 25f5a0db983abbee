"""The referral queue, its menu count, the chart card and the chart's clearance page."""

import datetime as dt
import re

import pytest

from apps.core import clock
from apps.patients.models import Patient
from apps.referrals.services import inbound_review_start, outbound_draft
from tests.factories import PatientFactory

from .conftest import clearance_pdf

pytestmark = pytest.mark.django_db


def _queue_rows(content: str, names: list[str]) -> list[str]:
    return sorted(names, key=content.index)


def test_the_queue_lists_missing_clearances_first_then_oldest(personas, login, receive):
    today = clock.local_now().date()
    cleared_old = receive(
        prospect_name="Ann Cleared", patient=None, clearance=clearance_pdf(), received_on=today - dt.timedelta(days=9)
    )
    missing_new = receive(prospect_name="Bo Missing", patient=None, received_on=today - dt.timedelta(days=1))
    missing_old = receive(prospect_name="Cy Missing", patient=None, received_on=today - dt.timedelta(days=5))
    inbound_review_start(actor=personas.front_desk, referral=missing_old)
    content = login(personas.front_desk).get("/referrals/").content.decode()
    assert _queue_rows(content, ["Ann Cleared", "Bo Missing", "Cy Missing"]) == [
        "Cy Missing",
        "Bo Missing",
        "Ann Cleared",
    ]
    assert all(f"/referrals/inbound/{r.pk}/" in content for r in (cleared_old, missing_new, missing_old))


def test_the_queue_reads_in_a_fixed_number_of_queries(personas, login, receive, django_assert_max_num_queries):
    client = login(personas.front_desk)
    for n in range(6):
        receive(prospect_name=f"Person {n}", patient=None, clearance=clearance_pdf() if n % 2 else None)
        patient = PatientFactory(primary_therapist=personas.therapist)
        outbound_draft(
            actor=personas.therapist, patient=patient, recipient_kind="physician", recipient_name="Dr. A", reason="R"
        )
    # One of them reads the clinic's term for a release of information, to tell drafts with a release in force.
    with django_assert_max_num_queries(9):
        assert client.get("/referrals/").status_code == 200


def test_the_menu_counts_what_waits(personas, login, receive):
    receive()
    receive(prospect_name="Someone", patient=None)
    content = login(personas.front_desk).get("/referrals/").content.decode()
    assert 'href="/referrals/"' in content
    from apps.referrals.selectors import queue_rows

    assert queue_rows(personas.front_desk).count() == 2
    assert queue_rows(personas.therapist) is None


@pytest.mark.parametrize(("who", "status"), [("front_desk", 200), ("admin", 200), ("therapist", 403), ("billing", 403)])
def test_the_queue_is_the_front_desks(personas, login, who, status):
    assert login(getattr(personas, who)).get("/referrals/").status_code == status


def test_logging_a_referral_with_a_clearance_from_the_page(personas, login):
    response = login(personas.front_desk).post(
        "/referrals/inbound/new/",
        {
            "prospect_name": "Jordan Ellis",
            "provider_name": "Dr. Maya Chen",
            "reason": "Back pain",
            "received_on": clock.local_now().date().isoformat(),
            "clearance": clearance_pdf(),
        },
    )
    assert response.status_code == 302
    detail = login(personas.front_desk).get(response["Location"]).content.decode()
    assert "Jordan Ellis" in detail and "Back pain" in detail and "received" in detail


def test_a_wrong_file_type_is_a_form_error_and_nothing_is_written(personas, login):
    response = login(personas.front_desk).post(
        "/referrals/inbound/new/",
        {
            "prospect_name": "Jordan Ellis",
            "provider_name": "Dr. Maya Chen",
            "reason": "Back pain",
            "received_on": clock.local_now().date().isoformat(),
            "clearance": clearance_pdf("letter.pdf", b"GIF89a"),
        },
    )
    assert response.status_code == 422 and "not a file we accept" in response.content.decode()
    from apps.referrals.models import InboundReferral

    assert not InboundReferral.objects.exists()


def test_the_chart_card_shows_referrals_and_clearance_to_the_desk_and_the_therapist(personas, login, receive):
    receive(clearance=clearance_pdf())
    for who, url in (
        ("front_desk", f"/patients/{personas.patient.pk}/"),
        ("therapist", f"/notes/patients/{personas.patient.pk}/chart/"),
    ):
        content = login(getattr(personas, who)).get(url).content.decode()
        assert "Referrals and medical clearance" in content and "Dr. Maya Chen" in content
    assert (
        "Referrals and medical clearance"
        not in login(personas.billing).get(f"/patients/{personas.patient.pk}/").content.decode()
    )


def test_the_therapist_records_an_exception_from_the_chart(personas, login):
    client = login(personas.therapist)
    url = f"/referrals/patients/{personas.patient.pk}/clearance/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"exception-reason": "Physician on leave; pain long-standing."})
    assert response.status_code == 302
    assert "Exception recorded" in client.get(url).content.decode()


def test_a_clearance_file_downloads_for_those_who_may_see_it(personas, login, receive):
    referral = receive(clearance=clearance_pdf())
    clearance = referral.clearances.get()
    response = login(personas.front_desk).get(f"/referrals/clearances/{clearance.pk}/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert login(personas.other_therapist).get(f"/referrals/clearances/{clearance.pk}/").status_code == 404


def test_a_referral_naming_no_one_is_a_form_error(personas, login):
    response = login(personas.front_desk).post(
        "/referrals/inbound/new/",
        {"provider_name": "Dr. Maya Chen", "reason": "Back pain", "received_on": clock.local_now().date().isoformat()},
    )
    assert response.status_code == 422
    assert "give the prospective patient&#x27;s name" in response.content.decode()


def test_the_front_desk_accepts_a_prospective_patient_onto_the_chart_it_picks(personas, login, receive):
    referral = receive(patient=None, prospect_name="Pat Ient")
    client = login(personas.front_desk)
    detail = client.get(f"/referrals/inbound/{referral.pk}/").content.decode()
    assert "Charts that may be this person" in detail and personas.patient.choice_label in detail
    response = client.post(f"/referrals/inbound/{referral.pk}/accept/", {"patient": personas.patient.pk})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.patient == personas.patient


def test_registering_a_referred_person_starts_from_the_referral_and_comes_back_to_it(personas, login, receive):
    referral = receive(patient=None, prospect_name="Lena Ann Holt", prospect_phone="6175559876")
    client = login(personas.front_desk)
    detail = client.get(f"/referrals/inbound/{referral.pk}/").content.decode()
    link = re.search(r'<a href="([^"]*)">Register the patient</a>', detail).group(1).replace("&amp;", "&")
    form = client.get(link).content.decode()
    assert 'value="Lena Ann"' in form and 'value="Holt"' in form and 'value="6175559876"' in form

    created = client.post(
        link,
        {
            "legal_first_name": "Lena Ann",
            "legal_last_name": "Holt",
            "date_of_birth": "1980-04-12",
            "phone": "6175559876",
        },
    )
    assert created.status_code == 302 and created["Location"] == f"/referrals/inbound/{referral.pk}/"
    chart = Patient.objects.get(legal_last_name="Holt")
    back = client.get(created["Location"]).content.decode()
    assert f'<option value="{chart.pk}" selected>' in back


def test_the_therapist_sends_a_draft_from_its_page_once_the_release_is_signed(personas, login, signed_release):
    client = login(personas.therapist)
    response = client.post(
        f"/referrals/patients/{personas.patient.pk}/outbound/new/",
        {"recipient_kind": "psychiatrist", "recipient_name": "Dr. Sam Okafor", "reason": "Sleep"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Send referral" in page
    sent = client.post(response["Location"] + "send/", {"release": signed_release.pk})
    assert sent.status_code == 302
    assert "Download the letter" in client.get(response["Location"]).content.decode()


def test_a_refusal_names_the_field_it_is_about(personas, login):
    response = login(personas.front_desk).post(
        "/referrals/inbound/new/",
        {
            "prospect_name": "Jordan Ellis",
            "provider_name": "Dr. Maya Chen",
            "reason": "Back pain",
            "received_on": (clock.local_now().date() + dt.timedelta(days=3)).isoformat(),
        },
    )
    form = response.context["form"]
    assert response.status_code == 422
    assert form.non_field_errors() == ["A referral cannot be received in the future."]
    assert form.errors["received_on"] == ["In the future."]


def test_a_referral_dated_1900_is_a_form_error_and_nothing_is_written(personas, login):
    from apps.referrals.models import InboundReferral

    sent = {"prospect_name": "Jordan Ellis", "provider_name": "Dr. Maya Chen", "reason": "Back pain"}
    response = login(personas.front_desk).post("/referrals/inbound/new/", {**sent, "received_on": "1900-01-01"})
    assert "Choose a date from" in response.content.decode()
    assert not InboundReferral.objects.exists()


def test_a_draft_awaiting_the_release_tells_the_therapist_who_sends_the_form(personas, login):
    """The release form is sent by the front desk (intake.send_packet), so the therapist is not sent to a page
    without that action."""
    client = login(personas.therapist)
    response = client.post(
        f"/referrals/patients/{personas.patient.pk}/outbound/new/",
        {"recipient_kind": "psychiatrist", "recipient_name": "Dr. Sam Okafor", "reason": "Sleep"},
    )
    page = client.get(response["Location"]).content.decode()
    assert "Ask the front desk to send them the release of information form" in page
    assert "from <a" not in page


def test_a_refer_out_phone_that_is_not_a_number_is_refused_on_the_field_and_a_good_one_is_shown_like_the_chart(
    personas, login, signed_release
):
    from apps.core.phones import PHONE_HINT
    from apps.referrals.models import OutboundReferral

    client = login(personas.therapist)
    fields = {"recipient_kind": "psychiatrist", "recipient_name": "Dr. Sam Okafor", "reason": "Sleep"}
    refused = client.post(
        f"/referrals/patients/{personas.patient.pk}/outbound/new/", {**fields, "recipient_phone": "abc"}
    )
    assert refused.status_code != 302
    assert refused.context["form"].errors["recipient_phone"] == [PHONE_HINT]
    assert not OutboundReferral.objects.exists()

    kept = client.post(
        f"/referrals/patients/{personas.patient.pk}/outbound/new/", {**fields, "recipient_phone": "617.555.0140"}
    )
    assert OutboundReferral.objects.get().recipient_phone == "+16175550140"
    assert "(617) 555-0140" in client.get(kept["Location"]).content.decode()
