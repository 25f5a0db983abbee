"""Superbills an out-of-network insurer accepts: place of service, modifier 95, diagnosis pointers, the rendering
provider's licence, the supervising provider as billing provider, and no superbill without a confirmed diagnosis."""

import datetime as dt

import pytest
import time_machine
from django.template.loader import render_to_string

from apps.billing.models import BillingProfile
from apps.billing.selectors.superbill import superbill
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.diagnoses import billing_profile_set, diagnoses_confirm, diagnoses_propose_from_intake
from apps.core import clock
from apps.core.errors import InvalidTransition, Unprocessable
from apps.core.models import ClinicSettings
from tests.factories import TherapistFactory

from .helpers import past_appointment

pytestmark = pytest.mark.django_db

FEBRUARY = {"start": dt.date(2026, 2, 1), "end": dt.date(2026, 2, 28)}


def _charge(patient, service_type, *, days_ago, **appointment):
    charge_for_appointment_outcome(
        appointment=past_appointment(patient, service_type=service_type, days_ago=days_ago, **appointment), actor=None
    )


@pytest.fixture
def sessions(personas, fee_config):
    """An office session (Feb 10) and a telehealth session (Feb 17) in February 2026."""
    with time_machine.travel("2026-02-20 12:00:00-05:00", tick=False):
        _charge(personas.patient, fee_config["90834"], days_ago=10)
        _charge(personas.patient, fee_config["90834"], days_ago=3, is_telehealth=True, room=None)
    codes = ["F45.41", "M54.50", "F41.1", "F32.0", "G44.2"]
    billing_profile_set(actor=personas.billing, patient=personas.patient, diagnosis_codes=codes)
    return personas.patient


def test_office_lines_are_pos_11_and_telehealth_lines_pos_10_with_modifier_95(sessions):
    lines = superbill(patient=sessions, **FEBRUARY)["lines"]
    assert [(line["charge"].service_date.day, line["place_of_service"], line["modifier"]) for line in lines] == [
        (10, "11", ""),
        (17, "10", "95"),
    ]


def test_telehealth_is_pos_02_when_the_clinic_says_patients_are_not_at_home(sessions):
    clinic = ClinicSettings.load()
    clinic.telehealth_patient_at_home = False
    clinic.save()
    lines = superbill(patient=sessions, **FEBRUARY)["lines"]
    assert [(line["place_of_service"], line["modifier"]) for line in lines] == [("11", ""), ("02", "95")]


def test_each_line_points_at_the_first_four_diagnoses_by_letter(sessions):
    bill = superbill(patient=sessions, **FEBRUARY)
    assert [(d["pointer"], d["code"]) for d in bill["diagnoses"]] == [
        ("A", "F45.41"),
        ("B", "M54.50"),
        ("C", "F41.1"),
        ("D", "F32.0"),
        ("E", "G44.2"),
    ]
    assert {line["diagnosis_pointers"] for line in bill["lines"]} == {"ABCD"}


def test_the_rendering_provider_carries_licence_type_and_number_and_bills_in_their_own_name(sessions, personas):
    profile = personas.therapist.therapist_profile
    line = superbill(patient=sessions, **FEBRUARY)["lines"][0]
    assert line["rendering_provider"]["license_type"] == profile.license_type == "LICSW"
    assert line["rendering_provider"]["license_number"] == profile.license_number != ""
    assert line["billing_provider"]["npi"] == profile.npi


def test_a_prelicensed_therapists_lines_name_the_supervisor_as_billing_provider(personas, fee_config):
    supervisor = personas.other_therapist
    trainee = TherapistFactory(email="trainee@example.test")
    trainee.therapist_profile.is_prelicensed = True
    trainee.therapist_profile.supervisor = supervisor
    trainee.therapist_profile.license_type = ""
    trainee.therapist_profile.license_number = ""
    trainee.therapist_profile.save()
    with time_machine.travel("2026-02-20 12:00:00-05:00", tick=False):
        _charge(personas.patient, fee_config["90834"], days_ago=3, therapist=trainee)
    billing_profile_set(actor=personas.billing, patient=personas.patient, diagnosis_codes=["F45.41"])
    [line] = superbill(patient=personas.patient, **FEBRUARY)["lines"]
    assert line["rendering_provider"]["name"] == trainee.full_name
    billing = line["billing_provider"]
    assert (billing["name"], billing["npi"], billing["license_number"]) == (
        supervisor.full_name,
        supervisor.therapist_profile.npi,
        supervisor.therapist_profile.license_number,
    )


def test_the_pdf_shows_pos_modifier_pointers_and_both_providers(sessions, personas):
    html = render_to_string(
        "billing/pdf/superbill.html",
        {**superbill(patient=sessions, **FEBRUARY), "clinic": ClinicSettings.load()},
    )
    profile = personas.therapist.therapist_profile
    for expected in ("<td>10</td>", "<td>11</td>", "<td>95</td>", "<td>ABCD</td>", "A. F45.41", "E. G44.2"):
        assert expected in html
    assert f"License LICSW {profile.license_number}" in html


def test_a_superbill_without_a_confirmed_diagnosis_is_refused_naming_what_is_missing(personas, fee_config, login):
    with time_machine.travel("2026-02-20 12:00:00-05:00", tick=False):
        _charge(personas.patient, fee_config["90834"], days_ago=3)
    with pytest.raises(Unprocessable, match="confirmed ICD-10 diagnosis"):
        superbill(patient=personas.patient, **FEBRUARY)
    params = {"start": "2026-02-01", "end": "2026-02-28"}
    portal = login(personas.patient_user).get("/portal/billing/superbill/", params)
    staff = login(personas.billing).get(f"/billing/patients/{personas.patient.pk}/superbill/", params)
    assert (portal.status_code, staff.status_code) == (422, 422)
    assert "the clinic has not yet recorded the diagnosis" in portal.content.decode()
    assert "confirmed ICD-10 diagnosis" in staff.content.decode()


def test_the_patient_is_told_in_their_own_words_and_led_back_while_staff_keep_theirs(personas, fee_config, login):
    """Proposed diagnoses waiting for billing staff: a step the patient cannot take, so the portal does not name
    it; it says what is missing, whom to ask and how, and leads back to the billing page."""
    with time_machine.travel("2026-02-20 12:00:00-05:00", tick=False):
        _charge(personas.patient, fee_config["90834"], days_ago=3)
    diagnoses_propose_from_intake(patient=personas.patient, diagnosis_text="F45.41 Pain disorder")
    params = {"start": "2026-01-01", "end": "2026-12-31"}

    portal = login(personas.patient_user).get("/portal/billing/superbill/", params).content.decode()
    staff = login(personas.billing).get(f"/billing/patients/{personas.patient.pk}/superbill/", params)

    assert "this patient" not in portal and "billing page" not in portal and "Confirm the diagnoses" not in portal
    assert "the clinic has not yet recorded the diagnosis your superbill needs" in portal
    assert 'href="/portal/messages/new/"' in portal
    assert 'href="/portal/billing/">Back to billing</a>' in portal
    staff_page = staff.content.decode()
    assert "Confirm the diagnoses proposed from the intake note on the patient&#x27;s billing page." in staff_page
    assert f'href="/billing/patients/{personas.patient.pk}/"' in staff_page


def test_proposed_diagnoses_do_not_count_until_staff_confirm_them(personas, fee_config, login):
    with time_machine.travel("2026-02-20 12:00:00-05:00", tick=False):
        _charge(personas.patient, fee_config["90834"], days_ago=3)
    diagnoses_propose_from_intake(patient=personas.patient, diagnosis_text="F45.41 Pain disorder; M54.50")
    with pytest.raises(Unprocessable, match="Confirm the diagnoses proposed"):
        superbill(patient=personas.patient, **FEBRUARY)
    ledger = login(personas.billing).get(f"/billing/patients/{personas.patient.pk}/")
    assert "F45.41, M54.50" in ledger.content.decode()
    response = login(personas.billing).post(f"/billing/patients/{personas.patient.pk}/diagnoses/confirm/")
    assert response.status_code == 302
    profile = BillingProfile.objects.get(patient=personas.patient)
    assert (profile.diagnosis_codes, profile.proposed_diagnosis_codes) == (["F45.41", "M54.50"], [])
    assert superbill(patient=personas.patient, **FEBRUARY)["diagnoses"][0]["code"] == "F45.41"
    with pytest.raises(InvalidTransition):
        diagnoses_confirm(actor=personas.billing, patient=personas.patient)


def test_only_billing_staff_confirm_proposed_diagnoses(personas, login):
    diagnoses_propose_from_intake(patient=personas.patient, diagnosis_text="F45.41")
    for user in (personas.therapist, personas.patient_user):
        login(user).post(f"/billing/patients/{personas.patient.pk}/diagnoses/confirm/")
    assert BillingProfile.objects.get(patient=personas.patient).diagnosis_codes == []


def test_paid_is_what_the_patient_paid_never_a_write_off_or_a_credit(sessions, personas):
    """Two $200 sessions: the first written off in part ($50, naming it), a $10 courtesy credit on the account, then
    $200 paid. The credits lower what is owed, they are not payments: the oldest session is left at $140 (less the
    write-off and the credit), which the payment pays, and $60 goes to the second."""
    from decimal import Decimal

    from apps.billing.models import Charge
    from apps.billing.services.payments import adjustment_post, payment_record

    first, second = Charge.objects.filter(patient=sessions).order_by("service_date")
    with time_machine.travel("2026-02-21 12:00:00-05:00", tick=False):
        adjustment_post(
            actor=personas.billing, patient=sessions, kind="write_off", amount="50", reason="Hardship", charge=first
        )
        adjustment_post(actor=personas.billing, patient=sessions, kind="courtesy", amount="10", reason="Wait")
        payment_record(actor=personas.front_desk, patient=sessions, method="cash", amount="200")

    bill = superbill(patient=sessions, **FEBRUARY)

    assert (first.amount, second.amount) == (Decimal("200.00"), Decimal("200.00"))
    assert [line["paid"] for line in bill["lines"]] == [Decimal("140.00"), Decimal("60.00")]
    assert bill["total_paid"] == Decimal("200.00")


def _package_sessions(personas, offering, massage, *, sessions: int, price: str, paid: str):
    from decimal import Decimal

    from apps.billing.services.packages import package_purchase
    from apps.billing.services.payments import payment_record

    offering.slides_with_class = False
    offering.session_count = sessions
    offering.full_price = Decimal(price)
    offering.save()
    package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount=paid)
    for days_ago in range(sessions, 0, -1):
        _charge(personas.patient, massage, days_ago=days_ago)
    billing_profile_set(actor=personas.billing, patient=personas.patient, diagnosis_codes=["F45.41"])
    today = clock.local_now().date()
    return superbill(patient=personas.patient, start=today - dt.timedelta(days=60), end=today + dt.timedelta(days=1))


def test_a_session_covered_by_a_package_shows_its_share_of_the_package_and_what_was_paid_of_it(
    personas, offering, massage
):
    from decimal import Decimal

    bill = _package_sessions(personas, offering, massage, sessions=3, price="1000.00", paid="500.00")
    assert [(line["amount"], line["paid"]) for line in bill["lines"]] == [
        (Decimal("333.33"), Decimal("333.33")),
        (Decimal("333.33"), Decimal("166.67")),
        (Decimal("333.34"), Decimal("0.00")),
    ]
    assert (bill["total_charged"], bill["total_paid"]) == (Decimal("1000.00"), Decimal("500.00"))
    html = render_to_string("billing/pdf/superbill.html", bill)
    assert "$333.34" in html and "$166.67" in html


@pytest.fixture
def massages_among_sessions(sessions, personas):
    """Besides February's two $200 psychotherapy sessions, two relaxation massages under the clinic's own code
    RLX60 ($110 each, not a CPT code), one of them paid."""
    from decimal import Decimal

    from apps.accounts.disciplines import Discipline
    from apps.billing.services.configuration import fee_schedule_set
    from apps.billing.services.payments import payment_record
    from tests.factories import ServiceTypeFactory

    relaxation = ServiceTypeFactory(
        code="RLX60", name="Relaxation massage, 60 min", duration_minutes=60, discipline=Discipline.BODYWORK
    )
    fee_schedule_set(
        actor=None, service_type=relaxation, full_fee=Decimal("110.00"), effective_from=dt.date(2025, 1, 1)
    )
    provider = TherapistFactory(email="bodywork@example.test", profile__discipline=Discipline.BODYWORK)
    with time_machine.travel("2026-02-20 12:00:00-05:00", tick=False):
        for days_ago in (8, 1):
            _charge(sessions, relaxation, days_ago=days_ago, therapist=provider)
    with time_machine.travel("2026-02-21 12:00:00-05:00", tick=False):
        payment_record(actor=personas.front_desk, patient=sessions, method="cash", amount="510")
    return sessions


def test_a_service_without_a_cpt_code_is_left_off_the_superbill_and_its_totals(massages_among_sessions):
    from decimal import Decimal

    bill = superbill(patient=massages_among_sessions, **FEBRUARY)

    assert [line["charge"].service_type.code for line in bill["lines"]] == ["90834", "90834"]
    assert (bill["total_charged"], bill["total_paid"]) == (Decimal("400.00"), Decimal("400.00"))
    assert bill["not_listed"] == 2
    html = render_to_string("billing/pdf/superbill.html", bill)
    assert "RLX60" not in html and "Relaxation massage" not in html
    assert "Services without a CPT code are not listed: 2 in this period." in html


def test_only_five_character_cpt_codes_count_as_cpt():
    from apps.scheduling.models import ServiceType

    def coded(code):
        return ServiceType(code=code).has_cpt_code

    assert [coded(c) for c in ("90834", "97124", "0552T")] == [True, True, True]
    assert [coded(c) for c in ("RLX60", "9083", "908345", "G0176", "1126F", "")] == [False] * 6
