"""Monthly statements, superbills, re-attestation requests and the reduced-fee cap warning."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.template.loader import render_to_string

from apps.billing import pricing, tasks
from apps.billing.models import Statement
from apps.billing.portal_views import _statement_context
from apps.billing.selectors.reduced_fee_cap import reduced_fee_cap_breach
from apps.billing.selectors.superbill import superbill, superbill_lines
from apps.billing.services.assessments import assessment_submit
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.diagnoses import billing_profile_set
from apps.billing.services.payments import payment_record
from apps.billing.services.statements import statement_issue
from apps.core.models import ClinicSettings
from apps.notifications.models import Message

from .helpers import approved_assessment, past_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def february(personas, fee_config):
    """A patient with February activity: two $40 sessions (class B) and a $30 payment, then March's statement run."""
    with time_machine.travel("2026-02-20 12:00:00-05:00", tick=False):
        approved_assessment(personas.patient, household_size=3, income="34150", effective_from=dt.date(2026, 1, 1))
        for days in (3, 10):
            charge_for_appointment_outcome(
                appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=days),
                actor=None,
            )
        payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="30")
    billing_profile_set(actor=personas.billing, patient=personas.patient, diagnosis_codes=["F45.41", "M54.50"])
    return personas.patient


def test_the_monthly_run_issues_a_statement_and_queues_a_statement_ready_email(february):
    with time_machine.travel("2026-03-01 06:00:00-05:00", tick=False):
        assert tasks.statements_issue_last_month() == 1
        assert tasks.statements_issue_last_month() == 0  # a re-run issues nothing twice
    statement = Statement.objects.get()
    assert (statement.period_start, statement.period_end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("0.00"), Decimal("50.00"))
    message = Message.objects.get(purpose="statement_ready")
    assert message.template == "statement_ready"
    assert message.to_address == february.email
    assert message.context["statement_url"].endswith(f"/portal/billing/statements/{statement.pk}/")
    assert message.context["period"] == "February 2026"
    assert "34150" not in str(message.context)


def test_a_statement_for_a_month_not_yet_over_is_refused(february, personas):
    from apps.core.errors import Unprocessable

    with time_machine.travel("2026-02-27 12:00:00-05:00", tick=False), pytest.raises(Unprocessable):
        statement_issue(actor=personas.billing, patient=february, year=2026, month=2)


def test_the_statement_is_addressed_to_the_patient_under_one_letterhead(february, personas):
    clinic = ClinicSettings.load()
    clinic.address = "12 Harbor Street\nBoston, MA 02110"
    clinic.save()
    february.address_line1, february.city, february.state, february.postal_code = "4 Elm St", "Salem", "MA", "01970"
    february.save()
    with time_machine.travel("2026-03-01 06:00:00-05:00", tick=False):
        statement = statement_issue(actor=personas.billing, patient=february, year=2026, month=2)
    html = render_to_string("billing/pdf/statement.html", _statement_context(statement))
    assert html.count("12 Harbor Street") == 1
    assert f"{february.legal_name}<br>4 Elm St<br>Salem, MA 01970" in html


def test_the_statement_pdf_is_generated_for_the_patient_and_staff_only(february, login, personas):
    with time_machine.travel("2026-03-01 06:00:00-05:00", tick=False):
        statement = statement_issue(actor=personas.billing, patient=february, year=2026, month=2)
    page = login(personas.patient_user).get(f"/portal/billing/statements/{statement.pk}/")
    assert page.status_code == 200 and "$50.00" in page.content.decode()
    pdf = login(personas.patient_user).get(f"/portal/billing/statements/{statement.pk}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert login(personas.billing).get(f"/billing/statements/{statement.pk}/pdf/").status_code == 200
    assert login(personas.other_patient_user).get(f"/portal/billing/statements/{statement.pk}/pdf/").status_code == 404
    assert login(personas.therapist).get(f"/billing/statements/{statement.pk}/pdf/").status_code == 404


def test_the_superbill_lists_cpt_icd10_npi_dates_and_amounts_paid(february, personas):
    lines = superbill_lines(patient=february, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    assert [(line["charge"].service_type.code, line["charge"].amount, line["paid"]) for line in lines] == [
        ("90834", Decimal("40.00"), Decimal("30.00")),
        ("90834", Decimal("40.00"), Decimal("0.00")),
    ]
    from django.template.loader import render_to_string

    html = render_to_string(
        "billing/pdf/superbill.html",
        superbill(patient=february, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28)),
    )
    npi = personas.therapist.therapist_profile.npi
    for expected in ("90834", "F45.41", "M54.50", f"NPI {npi}", "02/17/2026", "$30.00", "$80.00"):
        assert expected in html


def test_the_superbill_pdf_downloads_from_the_portal_and_the_ledger(february, login, personas):
    params = {"start": "2026-02-01", "end": "2026-02-28"}
    portal = login(personas.patient_user).get("/portal/billing/superbill/", params)
    staff = login(personas.billing).get(f"/billing/patients/{february.pk}/superbill/", params)
    for response in (portal, staff):
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")
    assert login(personas.therapist).get(f"/billing/patients/{february.pk}/superbill/", params).status_code == 404


def test_the_front_desk_issues_no_superbill_as_it_reads_no_diagnosis(february, login, personas):
    desk = login(personas.front_desk)
    params = {"start": "2026-02-01", "end": "2026-02-28"}
    assert desk.get("/api/billing-diagnoses/", {"patient": february.pk}).status_code == 403
    assert desk.get(f"/billing/patients/{february.pk}/superbill/", params).status_code == 403
    account = desk.get(f"/billing/patients/{february.pk}/").content.decode()
    assert "Superbill (PDF)" not in account
    assert "Superbill (PDF)" in login(personas.billing).get(f"/billing/patients/{february.pk}/").content.decode()


def test_diagnosis_codes_must_look_like_icd10(personas):
    from apps.core.errors import Unprocessable

    with pytest.raises(Unprocessable):
        billing_profile_set(actor=personas.billing, patient=personas.patient, diagnosis_codes=["back pain"])
    profile = billing_profile_set(
        actor=personas.billing, patient=personas.patient, diagnosis_codes=["f54", "F45.41", "F54"]
    )
    assert profile.diagnosis_codes == ["F54", "F45.41"]


# --- assessments expire after twelve months; patients are asked to re-attest first ---------------------------


def test_an_assessment_expires_after_twelve_months(personas, fee_config):
    assessment = approved_assessment(
        personas.patient, household_size=1, income="15000", effective_from=dt.date(2025, 2, 28)
    )
    assert assessment.expires_on == dt.date(2026, 2, 28)
    assert pricing.assessment_in_force(patient=personas.patient, on=dt.date(2026, 2, 27)) == assessment
    assert pricing.assessment_in_force(patient=personas.patient, on=dt.date(2026, 2, 28)) is None


def test_patients_are_asked_once_to_re_attest_before_their_assessment_ends(personas, fee_config):
    assessment = approved_assessment(
        personas.patient, household_size=1, income="15000", effective_from=dt.date(2025, 4, 1)
    )
    with time_machine.travel("2026-02-20 08:00:00-05:00", tick=False):
        assert tasks.reattestation_requests_queue() == 0  # 40 days left: not yet
    with time_machine.travel("2026-03-05 08:00:00-05:00", tick=False):
        assert tasks.reattestation_requests_queue() == 1
        assert tasks.reattestation_requests_queue() == 0
    message = Message.objects.get(purpose="reattestation_due")
    assert message.context["expires_on"] == "2026-04-01"
    assert message.context["apply_url"].endswith("/portal/billing/apply/")
    assert "15000" not in str(message.context)
    assessment.refresh_from_db()
    assert assessment.reattestation_requested_at is not None


def test_a_patient_who_already_re_applied_is_not_asked(personas, fee_config):
    with time_machine.travel("2025-04-01 08:00:00-04:00", tick=False):
        approved_assessment(personas.patient, household_size=1, income="15000", effective_from=dt.date(2025, 4, 1))
    with time_machine.travel("2026-03-05 08:00:00-05:00", tick=False):
        assessment_submit(
            actor=personas.patient_user, patient=personas.patient, household_size=1, annual_income=Decimal("16000")
        )
        assert tasks.reattestation_requests_queue() == 0


def test_the_reattestation_templates_render(personas, fee_config):
    from django.template.loader import render_to_string

    context = {"patient_first_name": "Pat", "expires_on": "2026-04-01", "apply_url": "https://clinic.test/apply/"}
    assert "April 1, 2026" in render_to_string("notifications/messages/reattestation_due.subject.txt", context)
    for suffix in ("txt", "html", "sms.txt"):
        assert "https://clinic.test/apply/" in render_to_string(
            f"notifications/messages/reattestation_due.{suffix}", context
        )
    statement = {"patient_first_name": "Pat", "period": "February 2026", "statement_url": "https://clinic.test/s/1/"}
    for suffix in ("subject.txt", "txt", "html", "sms.txt"):
        assert "February 2026" in render_to_string(f"notifications/messages/statement_ready.{suffix}", statement)


# --- reduced-fee caps --------------------------------------------------------------------------------------------


def test_the_cap_counts_current_reduced_fee_patients_only(personas, fee_config):
    from tests.factories import PatientFactory

    profile = personas.therapist.therapist_profile
    profile.reduced_fee_cap = 1
    profile.save()
    approved_assessment(personas.patient, household_size=1, income="15000")
    past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=5)  # carried: seen lately
    newcomer = PatientFactory()
    approved_assessment(newcomer, household_size=2, income="20000")
    full_fee_newcomer = PatientFactory()
    breach = reduced_fee_cap_breach(therapist=personas.therapist, patient=newcomer)
    assert (breach.cap, breach.carried) == (1, 1) and "cap of 1" in breach.message
    assert reduced_fee_cap_breach(therapist=personas.therapist, patient=personas.patient) is None
    assert reduced_fee_cap_breach(therapist=personas.therapist, patient=full_fee_newcomer) is None
    assert reduced_fee_cap_breach(therapist=personas.other_therapist, patient=newcomer) is None


def test_the_booking_form_refuses_past_the_cap_until_given_an_override_reason(personas, fee_config, login):
    from apps.scheduling.models import Appointment
    from tests.factories import PatientFactory

    profile = personas.therapist.therapist_profile
    profile.reduced_fee_cap = 1
    profile.save()
    approved_assessment(personas.patient, household_size=1, income="15000")
    past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=5)
    newcomer = PatientFactory()
    approved_assessment(newcomer, household_size=2, income="20000")
    monday = clock_next_monday()
    form = {
        "therapist": personas.therapist.pk,
        "patient": newcomer.pk,
        "service_type": fee_config["90834"].pk,
        "date": monday.isoformat(),
        "time": "10:00",
        "is_telehealth": "on",
        "override_reason": "Outside the therapist's hours in this test",
    }
    client = login(personas.front_desk)
    refused = client.post("/schedule/appointments/new/", form)
    assert refused.status_code == 409
    assert "reduced-fee patients, their cap of 1" in refused.content.decode()
    assert not Appointment.objects.filter(patient=newcomer).exists()
    booked = client.post("/schedule/appointments/new/", {**form, "cap_override_reason": "Sibling of a patient"})
    assert booked.status_code == 302
    assert Appointment.objects.filter(patient=newcomer).exists()


def clock_next_monday():
    from apps.core import clock

    today = clock.local_now().date()
    return today + dt.timedelta(days=(7 - today.weekday()) or 7)


def test_the_superbill_writes_the_patients_address_without_a_gap_for_a_missing_second_line(february, personas):
    february.address_line1, february.address_line2 = "297 Maple Street", ""
    february.city, february.state, february.postal_code = "Cambridge", "MA", "02139"
    html = render_to_string(
        "billing/pdf/superbill.html", superbill(patient=february, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    )
    assert "297 Maple Street, Cambridge, MA 02139" in html

    february.address_line2 = "Apt 2"
    html = render_to_string(
        "billing/pdf/superbill.html", superbill(patient=february, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    )
    assert "297 Maple Street, Apt 2, Cambridge, MA 02139" in html
