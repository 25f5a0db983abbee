"""A superbill (the CMS-1500 convention) letters twelve diagnoses, A to L: a patient's confirmed codes never number
more, by the service and in the database; codes proposed from the intake note beyond the twelfth are left off when
billing confirms them, and the page and the API say which before and after."""

import pytest
from django.db import IntegrityError, transaction

from apps.billing.models import BillingProfile
from apps.billing.services.diagnoses import billing_profile_set, diagnoses_propose_from_intake
from apps.core.errors import Unprocessable

pytestmark = pytest.mark.django_db

TWELVE = [f"F{40 + n}.1" for n in range(12)]


def test_twelve_codes_are_kept_all_lettered(personas):
    profile = billing_profile_set(actor=personas.billing, patient=personas.patient, diagnosis_codes=TWELVE)
    assert profile.diagnosis_codes == TWELVE


def test_a_thirteenth_code_is_refused_on_the_field(personas):
    with pytest.raises(Unprocessable) as refused:
        billing_profile_set(actor=personas.billing, patient=personas.patient, diagnosis_codes=[*TWELVE, "M54.50"])
    assert refused.value.status == 422
    assert refused.value.fields == {"diagnosis_codes": ["Keep the twelve that matter most, primary first."]}
    assert not BillingProfile.objects.filter(patient=personas.patient).exists()


def test_a_code_typed_twice_counts_once(personas):
    profile = billing_profile_set(actor=personas.billing, patient=personas.patient, diagnosis_codes=[*TWELVE, "F40.1"])
    assert profile.diagnosis_codes == TWELVE


def test_the_database_refuses_a_thirteenth_confirmed_code(personas):
    profile = billing_profile_set(actor=personas.billing, patient=personas.patient, diagnosis_codes=TWELVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingProfile.objects.filter(pk=profile.pk).update(diagnosis_codes=[*TWELVE, "M54.50"])


@pytest.fixture
def ten_and_four(personas):
    """Ten codes confirmed, four proposed from the intake note: two of them fit."""
    billing_profile_set(actor=personas.billing, patient=personas.patient, diagnosis_codes=TWELVE[:10])
    diagnoses_propose_from_intake(patient=personas.patient, diagnosis_text="M54.50; G44.2; K58.9; F32.0")
    return personas.patient


def test_the_account_page_says_which_proposed_codes_confirming_leaves_off(personas, login, ten_and_four):
    page = login(personas.billing).get(f"/billing/patients/{ten_and_four.pk}/").content.decode()
    assert "A superbill letters twelve diagnoses (A to L): confirming leaves off K58.9, F32.0." in page


def test_confirming_on_the_page_keeps_the_first_twelve_and_says_which_were_left_off(personas, login, ten_and_four):
    client = login(personas.billing)
    response = client.post(f"/billing/patients/{ten_and_four.pk}/diagnoses/confirm/", follow=True)
    assert response.status_code == 200
    profile = BillingProfile.objects.get(patient=ten_and_four)
    assert profile.diagnosis_codes == [*TWELVE[:10], "M54.50", "G44.2"]
    assert profile.proposed_diagnosis_codes == []
    said = [str(m) for m in response.context["messages"]]
    assert said == [
        "Proposed diagnoses confirmed. A superbill letters twelve diagnoses (A to L), so K58.9, F32.0 were left off."
    ]


def test_the_api_says_which_proposed_codes_confirming_leaves_off_and_keeps_twelve(personas, login, ten_and_four):
    client = login(personas.billing, api=True)
    held = client.get("/api/billing-diagnoses/", {"patient": ten_and_four.pk}).json()
    proposed = [(row["code"], row["left_off_on_confirm"]) for row in held if row["status"] == "proposed"]
    assert proposed == [("M54.50", False), ("G44.2", False), ("K58.9", True), ("F32.0", True)]
    response = client.post("/api/billing-diagnoses/confirm/", {"patient": ten_and_four.pk}, format="json")
    assert response.status_code == 200
    assert [(row["code"], row["pointer"]) for row in response.json()][-2:] == [("M54.50", "K"), ("G44.2", "L")]
    assert len(response.json()) == 12
