"""The API's read of Good Faith Estimates and of the diagnosis codes billing holds: who may read them (a matrix per
persona), that the API and the pages show the same rows (one selector), and confirming proposed diagnoses."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from apps.audit.models import AccessLog
from apps.billing.models import GoodFaithEstimate
from apps.billing.services.diagnoses import billing_profile_set, diagnoses_propose_from_intake
from apps.billing.services.estimates import EstimatedService, gfe_issue
from apps.core import clock

pytestmark = pytest.mark.django_db


def _estimate(personas, patient, service_type, count: int) -> GoodFaithEstimate:
    start = clock.local_now().date() + dt.timedelta(days=7)
    return gfe_issue(
        actor=personas.front_desk,
        patient=patient,
        services=[EstimatedService(service_type.pk, personas.therapist.pk, count)],
        period_start=start,
        period_end=start + dt.timedelta(weeks=count - 1),
        reason="series_booked",
    )


@pytest.fixture
def estimates(personas, fee_config):
    """Two estimates of the patient (the first replaced by the second) and one of the other patient."""
    first = _estimate(personas, personas.patient, fee_config["90834"], 10)
    second = gfe_issue(
        actor=personas.billing,
        patient=personas.patient,
        services=[EstimatedService(fee_config["90834"].pk, personas.therapist.pk, 8)],
        period_start=first.period_start + dt.timedelta(weeks=2),
        period_end=first.period_end,
        reason="fee_class_changed",
        replaces=first,
    )
    others = _estimate(personas, personas.other_patient, fee_config["90837"], 3)
    return {"first": first, "second": second, "others": others}


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# --- Good Faith Estimates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status", "sees"),
    [
        ("billing", 200, {"first", "second", "others"}),
        ("admin", 200, {"first", "second", "others"}),
        ("front_desk", 200, {"first", "second", "others"}),
        ("therapist", 403, set()),
        ("other_therapist", 403, set()),
        ("patient_user", 200, {"first", "second"}),
        ("other_patient_user", 200, {"others"}),
    ],
)
def test_who_lists_good_faith_estimates(personas, login, estimates, persona, status, sees):
    response = login(getattr(personas, persona), api=True).get("/api/good-faith-estimates/")
    assert response.status_code == status
    if status == 200:
        assert set(_ids(response)) == {estimates[name].pk for name in sees}
    else:
        assert personas.patient.legal_last_name not in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("billing", 200),
        ("admin", 200),
        ("front_desk", 200),
        ("therapist", 403),
        ("other_therapist", 403),
        ("patient_user", 200),
        ("other_patient_user", 404),
    ],
)
def test_who_reads_one_good_faith_estimate(personas, login, estimates, persona, status):
    estimate = estimates["first"]
    response = login(getattr(personas, persona), api=True).get(f"/api/good-faith-estimates/{estimate.pk}/")
    assert response.status_code == status
    if status != 200:
        assert "2000.00" not in response.content.decode()


def test_an_estimate_reads_as_issued(personas, login, estimates, fee_config):
    first, second = estimates["first"], estimates["second"]
    body = login(personas.patient_user, api=True).get(f"/api/good-faith-estimates/{first.pk}/").json()
    assert (body["reason"], body["reason_label"], body["replaced_by"], body["replaces"]) == (
        "series_booked",
        "Weekly sessions booked",
        second.pk,
        None,
    )
    assert (Decimal(body["total"]), body["class_label"]) == (Decimal("2000.00"), first.class_label)
    [line] = body["lines"]
    assert (line["cpt"], Decimal(line["fee"]), line["expected_count"], Decimal(line["amount"])) == (
        "90834",
        Decimal("200.00"),
        10,
        Decimal("2000.00"),
    )
    assert line["provider_npi"] == personas.therapist.therapist_profile.npi
    assert set(body["clinic"]) == {"name", "address", "tax_id", "npi"}
    later = login(personas.patient_user, api=True).get(f"/api/good-faith-estimates/{second.pk}/").json()
    assert (later["replaces"], later["replaced_by"], later["reason_label"]) == (first.pk, None, "Fee class changed")


def test_staff_list_one_patients_estimates(personas, login, estimates):
    client = login(personas.billing, api=True)
    response = client.get("/api/good-faith-estimates/", {"patient": personas.patient.pk})
    assert _ids(response) == [estimates["second"].pk, estimates["first"].pk]  # newest first
    assert client.get("/api/good-faith-estimates/", {"patient": "abc"}).status_code == 400


def test_a_patient_filtering_by_another_patient_gets_nothing(personas, login, estimates):
    response = login(personas.patient_user, api=True).get(
        "/api/good-faith-estimates/", {"patient": personas.other_patient.pk}
    )
    assert (response.status_code, _ids(response)) == (200, [])


def test_the_api_and_the_pages_list_the_same_estimates(personas, login, estimates):
    portal = login(personas.patient_user).get("/portal/billing/").content.decode()
    on_portal = [int(pk) for pk in re.findall(r"/portal/billing/estimates/(\d+)/\"", portal)]
    staff_page = login(personas.billing).get(f"/billing/patients/{personas.patient.pk}/").content.decode()
    on_staff_page = [int(pk) for pk in re.findall(r"/billing/estimates/(\d+)/pdf/", staff_page)]
    mine = _ids(login(personas.patient_user, api=True).get("/api/good-faith-estimates/"))
    theirs = _ids(login(personas.billing, api=True).get("/api/good-faith-estimates/", {"patient": personas.patient.pk}))
    assert on_portal == on_staff_page == mine == theirs == [estimates["second"].pk, estimates["first"].pk]


def test_listing_estimates_takes_a_fixed_number_of_queries(personas, login, fee_config, django_assert_max_num_queries):
    for count in range(2, 12):
        _estimate(personas, personas.patient, fee_config["90834"], count)
    client = login(personas.billing, api=True)
    with django_assert_max_num_queries(5):
        response = client.get("/api/good-faith-estimates/")
    assert len(response.json()["results"]) == 10


# --- diagnoses ---------------------------------------------------------------------------------------------------


@pytest.fixture
def diagnoses(personas):
    """F45.41 confirmed; M54.50 and F41.1 proposed from the intake note."""
    billing_profile_set(actor=personas.billing, patient=personas.patient, diagnosis_codes=["F45.41"])
    diagnoses_propose_from_intake(patient=personas.patient, diagnosis_text="Low back M54.50; also F41.1")
    return personas.patient


def _rows(response) -> list[tuple]:
    return [(row["code"], row["status"], row["pointer"]) for row in response.json()]


HELD = [("F45.41", "confirmed", "A"), ("M54.50", "proposed", ""), ("F41.1", "proposed", "")]


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("billing", 200),
        ("admin", 200),
        ("front_desk", 403),
        ("therapist", 403),
        ("other_therapist", 403),
        ("patient_user", 403),
        ("other_patient_user", 403),
    ],
)
def test_who_reads_a_patients_billing_diagnoses(personas, login, diagnoses, persona, status):
    response = login(getattr(personas, persona), api=True).get("/api/billing-diagnoses/", {"patient": diagnoses.pk})
    assert response.status_code == status
    if status == 200:
        assert _rows(response) == HELD
        assert response.json()[1]["status_label"] == "Proposed from the intake note"
    else:
        assert "F45" not in response.content.decode()


def test_reading_diagnoses_through_the_api_is_access_logged(personas, login, diagnoses):
    login(personas.billing, api=True).get("/api/billing-diagnoses/", {"patient": diagnoses.pk})
    entry = AccessLog.objects.get(action="billing_diagnoses_view")
    assert (entry.actor, entry.patient_id) == (personas.billing, diagnoses.pk)


def test_the_diagnoses_list_needs_a_patient_that_exists(personas, login):
    client = login(personas.billing, api=True)
    assert client.get("/api/billing-diagnoses/").status_code == 400
    assert client.get("/api/billing-diagnoses/", {"patient": 99999999}).status_code == 404


def test_the_ledger_page_shows_the_same_diagnoses_as_the_api(personas, login, diagnoses):
    page = login(personas.billing).get(f"/billing/patients/{diagnoses.pk}/").content.decode()
    assert "Proposed from the intake note: <strong>M54.50, F41.1</strong>" in page
    assert 'value="F45.41"' in page
    api = _rows(login(personas.billing, api=True).get("/api/billing-diagnoses/", {"patient": diagnoses.pk}))
    assert api == HELD


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("billing", 200),
        ("admin", 200),
        ("front_desk", 403),
        ("therapist", 403),
        ("other_therapist", 403),
        ("patient_user", 403),
    ],
)
def test_who_confirms_proposed_diagnoses(personas, login, diagnoses, persona, status):
    response = login(getattr(personas, persona), api=True).post(
        "/api/billing-diagnoses/confirm/", {"patient": diagnoses.pk}, format="json"
    )
    assert response.status_code == status
    diagnoses.billing_profile.refresh_from_db()
    if status == 200:
        assert _rows(response) == [
            ("F45.41", "confirmed", "A"),
            ("M54.50", "confirmed", "B"),
            ("F41.1", "confirmed", "C"),
        ]
        assert diagnoses.billing_profile.updated_by == getattr(personas, persona)
    else:
        assert diagnoses.billing_profile.proposed_diagnosis_codes == ["M54.50", "F41.1"]


def test_confirming_with_nothing_proposed_is_a_409(personas, login, diagnoses):
    client = login(personas.billing, api=True)
    client.post("/api/billing-diagnoses/confirm/", {"patient": diagnoses.pk}, format="json")
    again = client.post("/api/billing-diagnoses/confirm/", {"patient": diagnoses.pk}, format="json")
    assert again.status_code == 409
    assert "no proposed diagnoses" in again.json()["error"]["message"]
    missing = client.post("/api/billing-diagnoses/confirm/", {"patient": 99999999}, format="json")
    assert missing.status_code == 404
