"""Who sees what: billing sees incomes and ledgers; the front desk records payments and sees balances but no
income; therapists see a patient's class but not their income; patients see only their own."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.billing.models import Payment, SlidingScaleAssessment
from apps.billing.services.assessments import assessment_submit
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import payment_record
from apps.core import clock

from .helpers import approved_assessment, past_appointment

pytestmark = pytest.mark.django_db

INCOME = "34150.00"  # distinctive, so its absence from a page means something
INCOME_SHOWN = "34,150.00"  # as pages write it


@pytest.fixture
def account(personas, fee_config):
    # Approved a month ago and valid for a year, at whatever date the suite runs (a fixed approval date expires).
    assessment = approved_assessment(personas.patient, household_size=3, income=INCOME, reviewer=personas.billing)
    charge = charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
    )
    payment = payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="15")
    return {"assessment": assessment, "charge": charge, "payment": payment}


# --- the staff ledger page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status", "sees_income"),
    [
        ("billing", 200, True),
        ("admin", 200, True),
        ("front_desk", 200, False),
        ("therapist", 404, False),
        ("other_therapist", 404, False),
        ("patient_user", 404, False),
    ],
)
def test_the_ledger_page_by_role(personas, login, account, persona, status, sees_income):
    response = login(getattr(personas, persona)).get(f"/billing/patients/{personas.patient.pk}/")
    assert response.status_code == status
    body = response.content.decode()
    assert (INCOME_SHOWN in body) is sees_income
    if status == 200:
        assert "$25.00" in body  # balance: $40 charge - $15 paid


def test_the_ledger_names_each_charges_fee_class_in_words(personas, login, account):
    charge = account["charge"]
    body = login(personas.billing).get(f"/billing/patients/{personas.patient.pk}/").content.decode()
    assert f"<td>{charge.class_label}</td>" in body and f"<td>{charge.class_code}</td>" not in body


def test_a_therapist_sees_the_class_on_the_chart_but_not_the_income(personas, login, account):
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = personas.therapist
    html = Template("{% load billing_tags %}{% billing_patient_class patient %}").render(
        Context({"request": request, "patient": personas.patient})
    )
    assert "101–125%" in html
    assert INCOME_SHOWN not in html and INCOME not in html and "Balance" not in html


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("front_desk", 302),
        ("billing", 302),
        ("admin", 302),
        ("therapist", 404),
        ("patient_user", 404),
    ],
)
def test_who_may_record_a_payment_on_the_page(personas, login, account, persona, status):
    response = login(getattr(personas, persona)).post(
        f"/billing/patients/{personas.patient.pk}/payments/", {"method": "cash", "amount": "10.00"}
    )
    assert response.status_code == status
    assert Payment.objects.count() == (2 if status == 302 else 1)


@pytest.mark.parametrize(
    ("persona", "status"), [("billing", 201), ("front_desk", 201), ("therapist", 403), ("patient_user", 403)]
)
def test_who_may_record_a_payment_through_the_api(personas, login, account, persona, status):
    response = login(getattr(personas, persona), api=True).post(
        "/api/payments/", {"patient": personas.patient.pk, "method": "check", "amount": "12.00", "reference": "881"}
    )
    assert response.status_code == status, response.content


@pytest.mark.parametrize(("persona", "status"), [("billing", 302), ("front_desk", 403), ("therapist", 403)])
def test_only_billing_posts_adjustments(personas, login, account, persona, status):
    response = login(getattr(personas, persona)).post(
        f"/billing/patients/{personas.patient.pk}/adjustments/",
        {"kind": "courtesy", "amount": "5", "reason": "Kindness", "confirmed": "yes"},
    )
    assert response.status_code in (status, 404)
    assert response.status_code == status or persona == "therapist"


# --- assessments through the API ---------------------------------------------------------------------------------


def test_billing_sees_incomes_in_the_assessment_api(personas, login, account):
    rows = login(personas.billing, api=True).get("/api/sliding-scale/assessments/").json()["results"]
    assert rows[0]["annual_income"] == INCOME


@pytest.mark.parametrize("persona", ["front_desk", "therapist", "other_patient_user"])
def test_others_cannot_read_assessments(personas, login, account, persona):
    client = login(getattr(personas, persona), api=True)
    listing = client.get("/api/sliding-scale/assessments/")
    detail = client.get(f"/api/sliding-scale/assessments/{account['assessment'].pk}/")
    if persona == "other_patient_user":
        assert listing.json()["results"] == []
        assert detail.status_code == 404
    else:
        assert listing.status_code == 403
    assert INCOME not in listing.content.decode() + detail.content.decode()


def test_a_patient_applies_and_sees_only_their_own(personas, login, account):
    client = login(personas.other_patient_user, api=True)
    response = client.post("/api/sliding-scale/assessments/", {"household_size": 2, "annual_income": "30000"})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    again = client.post("/api/sliding-scale/assessments/", {"household_size": 2, "annual_income": "31000"})
    assert again.status_code == 409
    forged = client.post(
        "/api/sliding-scale/assessments/", {"patient": personas.patient.pk, "household_size": 1, "annual_income": "1"}
    )
    assert forged.status_code == 404  # as for a patient who does not exist


@pytest.mark.parametrize(("persona", "status"), [("billing", 200), ("front_desk", 403), ("patient_user", 403)])
def test_only_billing_approves(personas, login, account, persona, status):
    pending = assessment_submit(
        actor=None, patient=personas.other_patient, household_size=1, annual_income=Decimal("12000")
    )
    response = login(getattr(personas, persona), api=True).post(
        f"/api/sliding-scale/assessments/{pending.pk}/approve/", {"effective_from": clock.local_now().date()}
    )
    assert response.status_code == status
    pending.refresh_from_db()
    assert (pending.status == "approved") is (status == 200)


def test_a_rejection_needs_a_reason_and_the_patient_sees_it(personas, login, account):
    pending = assessment_submit(
        actor=None, patient=personas.other_patient, household_size=1, annual_income=Decimal("12000")
    )
    client = login(personas.billing, api=True)
    assert client.post(f"/api/sliding-scale/assessments/{pending.pk}/reject/", {"reason": ""}).status_code == 400
    assert (
        client.post(
            f"/api/sliding-scale/assessments/{pending.pk}/reject/", {"reason": "No proof of income"}
        ).status_code
        == 200
    )
    page = login(personas.other_patient_user).get("/portal/billing/").content.decode()
    assert "No proof of income" in page


# --- ledgers through the API -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"), [("billing", 2), ("front_desk", 2), ("patient_user", 1), ("other_patient_user", 1)]
)
def test_charge_listing_is_scoped(personas, login, account, persona, expected):
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.other_patient, service_type=account["charge"].service_type), actor=None
    )
    response = login(getattr(personas, persona), api=True).get("/api/charges/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == expected


def test_a_therapist_cannot_list_charges(personas, login, account):
    assert login(personas.therapist, api=True).get("/api/charges/").status_code == 403


# --- the portal --------------------------------------------------------------------------------------------------


def test_the_portal_shows_balance_fee_receipts_and_assessment(
    personas, login, account, django_assert_max_num_queries, settings
):
    settings.CLINIC_PAYMENT_BACKEND = "stripe"
    client = login(personas.patient_user)
    dashboard = client.get("/portal/").content.decode()
    assert "Pay now" in dashboard
    with django_assert_max_num_queries(21):  # 19, the session packages, and the menu's count of unread messages
        page = client.get("/portal/billing/").content.decode()
    assert "$25.00" in page
    assert "101–125%" in page and "$40.00" in page
    assert account["payment"].receipt_number in page


def test_a_patient_cannot_open_someone_elses_receipt(personas, login, account):
    client = login(personas.other_patient_user)
    assert client.get(f"/portal/billing/receipts/{account['payment'].pk}/").status_code == 404
    assert login(personas.patient_user).get(f"/portal/billing/receipts/{account['payment'].pk}/").status_code == 200


def test_staff_cannot_use_the_portal_pages(personas, login, account):
    assert login(personas.billing).get("/portal/billing/").status_code == 403


def test_applying_in_the_portal_with_proof(personas, login, fee_config, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client = login(personas.other_patient_user)
    response = client.post(
        "/portal/billing/apply/",
        {"household_size": 4, "annual_income": "41000", "proof": SimpleUploadedFile("stub.pdf", b"%PDF-1.4 pay stub")},
    )
    assert response.status_code == 302
    assessment = SlidingScaleAssessment.objects.get(patient=personas.other_patient)
    assert assessment.proof.name.endswith(".pdf")
    assert login(personas.billing).get(f"/billing/assessments/{assessment.pk}/proof/").status_code == 200
    assert login(personas.front_desk).get(f"/billing/assessments/{assessment.pk}/proof/").status_code == 403


BAD_PROOFS = [
    pytest.param("payload.html", b"<script>alert(1)</script>", "Upload a PDF or an image.", id="type"),
    pytest.param("stub", b"%PDF-1.4", "Upload a PDF or an image.", id="no-extension"),
    pytest.param("huge.pdf", b"%PDF-1.4" + b"0" * (10 * 1024 * 1024), "larger than 10 MB", id="size"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_PROOFS)
def test_the_api_checks_proof_of_income_like_the_portal_form(
    personas, login, fee_config, settings, tmp_path, name, content, message
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    fields = {"household_size": 4, "annual_income": "41000"}
    api = login(personas.other_patient_user, api=True)
    response = api.post(
        "/api/sliding-scale/assessments/", {**fields, "proof": SimpleUploadedFile(name, content)}, format="multipart"
    )
    assert response.status_code == 400
    assert message in response.json()["error"]["fields"]["proof"][0]
    page = login(personas.other_patient_user).post(
        "/portal/billing/apply/", {**fields, "proof": SimpleUploadedFile(name, content)}
    )
    assert page.status_code == 422 and message in page.content.decode()
    assert not SlidingScaleAssessment.objects.filter(patient=personas.other_patient).exists()
    assert not any(tmp_path.rglob("*.*"))


def test_the_api_accepts_a_pdf_proof_of_income(personas, login, fee_config, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    response = login(personas.other_patient_user, api=True).post(
        "/api/sliding-scale/assessments/",
        {"household_size": 4, "annual_income": "41000", "proof": SimpleUploadedFile("stub.pdf", b"%PDF-1.4 stub")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert SlidingScaleAssessment.objects.get(patient=personas.other_patient).proof.name.endswith(".pdf")


@pytest.mark.parametrize(
    ("persona", "status"), [("billing", 200), ("admin", 200), ("front_desk", 403), ("therapist", 403)]
)
def test_reports_and_configuration_are_for_the_billing_office(personas, login, account, persona, status):
    client = login(getattr(personas, persona))
    for url in (
        "/billing/reports/aging/",
        "/billing/reports/sliding-scale/",
        "/billing/configuration/",
        "/billing/assessments/",
    ):
        assert client.get(url).status_code == status, url


def test_the_balances_list_has_no_n_plus_one(personas, login, account, django_assert_max_num_queries, fee_config):
    from tests.factories import PatientFactory

    for _ in range(5):
        patient = PatientFactory(primary_therapist=personas.therapist)
        payment_record(actor=personas.front_desk, patient=patient, method="cash", amount="5", credit_on_account=True)
    client = login(personas.front_desk)
    with django_assert_max_num_queries(10):
        response = client.get("/billing/")
    assert response.status_code == 200


def test_billing_edits_the_class_table_as_a_new_version(personas, login, fee_config):
    client = login(personas.billing)
    rows = {
        "rows": 3,
        "effective_from": "2026-07-01",
        "nominal_fee": "25.00",
        "late_cancel_fee": "80.00",
        "code_0": "A",
        "label_0": "Up to 150%",
        "max_percent_0": "150",
        "basis_0": "nominal",
        "percent_0": "0",
        "code_1": "B",
        "label_1": "151-250%",
        "max_percent_1": "250",
        "basis_1": "percent",
        "percent_1": "50",
        "code_2": "F",
        "label_2": "Full",
        "max_percent_2": "",
        "basis_2": "percent",
        "percent_2": "100",
    }
    assert client.post("/billing/configuration/sliding-scale/", rows).status_code == 302
    on = dt.date(2026, 7, 2)
    body = client.get("/api/sliding-scale/quote", {"household_size": 1, "annual_income": "31920"}).json()
    assert body["date"] >= on.isoformat()
    assert (body["class_code"], body["nominal_fee"]) == ("B", "25.00")
    rows["percent_1"] = "150"
    response = client.post("/billing/configuration/sliding-scale/", rows)
    assert response.status_code == 422
    # A forged row count is refused, not looped over; a missing field is named in words, not as a Python error.
    refused = client.post("/billing/configuration/sliding-scale/", {**rows, "rows": "99999999999"})
    assert "at most 30 classes" in refused.content.decode()
    broken = client.post("/billing/configuration/sliding-scale/", {k: v for k, v in rows.items() if k != "label_0"})
    assert "every row needs a code and a name" in broken.content.decode() and "KeyError" not in broken.content.decode()
    for field, value, said in [
        ("nominal_fee", "NaN", "Nominal fee: Enter an amount like 120.00."),
        ("late_cancel_fee", "999999999999999999999", "The policy fee is a number"),
        ("code_0", "X" * 30, "a code of at most 10 characters"),
        ("label_0", "L" * 300, "a name of at most 100"),
        ("max_percent_0", "99999999999", "upper bound is a number"),
        ("percent_1", "NaN", "every row needs a code"),
        ("code_1", "A", "Two classes share the code A"),
        ("max_percent_1", "150.004", "Two classes share the upper bound 150.00%"),
        ("max_percent_0", "9999.999", "upper bound is a number"),
    ]:
        answer = client.post("/billing/configuration/sliding-scale/", {**rows, "percent_1": "50", field: value})
        assert answer.status_code == 422 and said in answer.content.decode(), field
    assert login(personas.front_desk).post("/billing/configuration/sliding-scale/", rows).status_code == 403


@pytest.mark.parametrize(("persona", "sees_class"), [("therapist", True), ("front_desk", True), ("billing", True)])
def test_the_chart_shows_the_fee_class_and_never_the_income(personas, login, account, persona, sees_class):
    page = login(getattr(personas, persona)).get(f"/patients/{personas.patient.pk}/").content.decode()
    assert ("101–125%" in page) is sees_class
    assert INCOME_SHOWN not in page and INCOME not in page


def test_the_sessions_page_shows_the_patients_fee_before_they_book_or_cancel(personas, login, account):
    page = login(personas.patient_user).get("/portal/sessions/").content.decode()
    assert "Your fee per session (101–125%)" in page
    assert "<strong>$40.00</strong>" in page  # individual session, class B
    assert "A late cancellation or missed session: <strong>$20.00</strong>" in page


@pytest.mark.parametrize(("persona", "status"), [("billing", 200), ("front_desk", 403), ("patient_user", 403)])
def test_only_billing_sets_a_fixed_fee_override_with_a_reason(personas, login, account, persona, status):
    client = login(getattr(personas, persona), api=True)
    url = f"/api/sliding-scale/assessments/{account['assessment'].pk}/override/"
    response = client.post(url, {"fee": "25.00", "reason": "Caring for a parent; income about to drop"})
    assert response.status_code == status
    account["assessment"].refresh_from_db()
    if status == 200:
        assert (account["assessment"].override_fee, account["assessment"].override_approved_by) == (
            Decimal("25.00"),
            personas.billing,
        )
        assert client.post(url, {"fee": "25.00", "reason": ""}).status_code == 400
    else:
        assert account["assessment"].override_fee is None
