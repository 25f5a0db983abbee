"""Good Faith Estimates: issued when a series or an intake is booked, priced at the patient's class, re-issued when
the class changes, readable by the patient and billing staff as a page and a PDF."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import dateformat, timezone

from apps.billing.models import GoodFaithEstimate
from apps.billing.services.assessments import assessment_override_set
from apps.billing.services.estimates import (
    EstimatedService,
    gfe_issue,
    gfe_notice_build,
    gfe_reissue_after_assessment_expiry,
)
from apps.core import clock
from apps.notifications.outbox import messages_enqueue
from apps.scheduling.services import appointment_book, series_book

from .helpers import approved_assessment

pytestmark = pytest.mark.django_db

NOW = "2026-03-02 09:00:00-05:00"  # a Monday


def _book_weekly(personas, service_type, **kwargs):
    return series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=service_type,
        first_date=dt.date(2026, 3, 10),
        local_start_time=dt.time(10, 0),
        is_telehealth=True,
        override_reason="Extra hours agreed",
        **kwargs,
    )


@pytest.fixture
def class_b_patient(personas, fee_config):
    """Household of 3 at $34,150 in March 2026: class B, 20% of $200 = $40 a session."""
    with time_machine.travel(NOW, tick=False):
        approved_assessment(personas.patient, household_size=3, income="34150", effective_from=dt.date(2026, 3, 1))
    return personas.patient


def test_booking_a_series_issues_one_estimate_at_the_class_fee_and_count(class_b_patient, personas, fee_config):
    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"], occurrence_count=10)
    estimate = GoodFaithEstimate.objects.get(patient=class_b_patient)
    [line] = estimate.lines
    assert (line["cpt"], Decimal(line["fee"]), line["expected_count"]) == ("90834", Decimal("40.00"), 10)
    assert estimate.total == Decimal("400.00")
    assert (estimate.period_start, estimate.period_end) == (dt.date(2026, 3, 10), dt.date(2026, 5, 12))
    assert (estimate.reason, estimate.issued_by, estimate.class_code) == ("series_booked", personas.front_desk, "B")
    assert line["provider_npi"] == personas.therapist.therapist_profile.npi
    assert line["provider_name"] == personas.therapist.full_name
    assert estimate.issued_at is not None


def test_an_open_ended_series_is_estimated_for_52_weeks(personas, fee_config):
    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"])
    estimate = GoodFaithEstimate.objects.get(patient=personas.patient)
    assert estimate.lines[0]["expected_count"] == 52
    assert estimate.total == Decimal("10400.00")  # no assessment: the full $200
    assert estimate.period_end == dt.date(2026, 3, 10) + dt.timedelta(weeks=51)


def test_booking_an_intake_issues_an_estimate_for_it(personas, fee_config):
    with time_machine.travel(NOW, tick=False):
        appointment_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=personas.patient,
            service_type=fee_config["90791"],
            start=clock.local_datetime(dt.date(2026, 3, 4), dt.time(11, 0)),
            is_telehealth=True,
            override_reason="Extra hours agreed",
        )
    estimate = GoodFaithEstimate.objects.get(patient=personas.patient)
    assert [(line["cpt"], line["fee"], line["expected_count"]) for line in estimate.lines] == [("90791", "250.00", 1)]
    assert (estimate.reason, estimate.period_start) == ("intake_booked", dt.date(2026, 3, 4))


def test_an_intake_after_a_fee_rise_is_estimated_at_the_fee_its_charge_will_post(personas, fee_config):
    """The intake fee rises from $250 to $275 on March 5; an intake booked on March 2 for March 9 is estimated at
    $275, as the booking page quotes it and the session will be charged."""
    from apps.billing.pricing import session_outcome_price
    from apps.billing.services.configuration import fee_schedule_set
    from apps.selfbooking.quote import booking_quote

    intake = fee_config["90791"]
    with time_machine.travel(NOW, tick=False):
        fee_schedule_set(
            actor=personas.billing, service_type=intake, full_fee=Decimal("275"), effective_from=dt.date(2026, 3, 5)
        )
        appointment = appointment_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=personas.patient,
            service_type=intake,
            start=clock.local_datetime(dt.date(2026, 3, 9), dt.time(11, 0)),
            is_telehealth=True,
            override_reason="Extra hours agreed",
        )
        quoted = booking_quote(
            patient=personas.patient, service_type=intake, day=dt.date(2026, 3, 9), first_session=True
        )
        charged = session_outcome_price(patient=personas.patient, appointment=appointment, policy_fee=False)
    estimate = GoodFaithEstimate.objects.get(patient=personas.patient)
    assert estimate.total == quoted.fee == quoted.estimate_total == charged.fee == Decimal("275.00")


def test_booking_a_single_ordinary_session_issues_no_estimate(personas, fee_config):
    with time_machine.travel(NOW, tick=False):
        appointment_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=personas.patient,
            service_type=fee_config["90834"],
            start=clock.local_datetime(dt.date(2026, 3, 4), dt.time(11, 0)),
            is_telehealth=True,
            override_reason="Extra hours agreed",
        )
    assert not GoodFaithEstimate.objects.exists()


def test_an_approval_that_changes_the_class_reissues_the_estimate(personas, fee_config):
    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"], occurrence_count=10)
        first = GoodFaithEstimate.objects.get()
        assert first.total == Decimal("2000.00")
        approved_assessment(personas.patient, household_size=3, income="34150", effective_from=dt.date(2026, 3, 1))
    new = GoodFaithEstimate.objects.exclude(pk=first.pk).get()
    assert (new.replaces, new.reason, new.class_code) == (first, "fee_class_changed", "B")
    assert (new.lines[0]["fee"], new.lines[0]["expected_count"], new.total) == ("40.00", 10, Decimal("400.00"))
    assert new.issued_by.has_role("billing")


def test_an_approval_in_the_same_class_issues_nothing_new(class_b_patient, personas, fee_config):
    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"], occurrence_count=10)
        approved_assessment(class_b_patient, household_size=3, income="34000", effective_from=dt.date(2026, 3, 1))
    assert GoodFaithEstimate.objects.count() == 1


def test_no_estimate_is_issued_while_the_clinic_has_no_fees(personas, services_catalogue):
    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, services_catalogue["90834"], occurrence_count=4)
    assert not GoodFaithEstimate.objects.exists()


def test_an_issued_estimate_never_changes(class_b_patient, personas, fee_config):
    from django.db import ProgrammingError, transaction

    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"], occurrence_count=2)
    with pytest.raises(ProgrammingError), transaction.atomic():
        GoodFaithEstimate.objects.update(total=Decimal("1.00"))


def test_the_estimate_reads_as_a_page_and_a_pdf_for_the_patient_and_billing_only(
    class_b_patient, personas, fee_config, login
):
    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"], occurrence_count=10)
    estimate = GoodFaithEstimate.objects.get()
    home = login(personas.patient_user).get("/portal/billing/").content.decode()
    assert f"/portal/billing/estimates/{estimate.pk}/" in home
    # Listed in the portal's own words for dates, as its charges are (not "2026-03-09" nor "03/10/2026").
    issued, start, end = (
        dateformat.format(d, "N j, Y")
        for d in (timezone.localtime(estimate.issued_at), estimate.period_start, estimate.period_end)
    )
    assert f"$400.00, issued {issued}</a> for care from {start} to {end}" in home
    page = login(personas.patient_user).get(f"/portal/billing/estimates/{estimate.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    for expected in ("90834", "$40.00", "$400.00", "120 calendar days", "at least $400 more", "03/10/2026"):
        assert expected in body
    pdf = login(personas.patient_user).get(f"/portal/billing/estimates/{estimate.pk}/pdf/")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert pdf.content.startswith(b"%PDF")
    staff = login(personas.billing).get(f"/billing/estimates/{estimate.pk}/pdf/")
    assert (staff.status_code, staff["Content-Type"]) == (200, "application/pdf")
    ledger = login(personas.billing).get(f"/billing/patients/{class_b_patient.pk}/").content.decode()
    assert f"/billing/estimates/{estimate.pk}/pdf/" in ledger
    other = login(personas.other_patient_user)
    assert other.get(f"/portal/billing/estimates/{estimate.pk}/").status_code == 404
    assert other.get(f"/portal/billing/estimates/{estimate.pk}/pdf/").status_code == 404
    assert login(personas.therapist).get(f"/billing/estimates/{estimate.pk}/pdf/").status_code == 404


def test_gfe_issue_refuses_nothing_to_estimate(personas, fee_config):
    assert (
        gfe_issue(
            actor=personas.billing,
            patient=personas.patient,
            services=[EstimatedService(fee_config["90834"].pk, personas.therapist.pk, 0)],
            period_start=dt.date(2026, 3, 1),
            period_end=dt.date(2026, 3, 1),
            reason="series_booked",
        )
        is None
    )


# --- re-issue when the assessment ends ---------------------------------------------------------------------------

EXPIRY_DAY = dt.date(2027, 3, 1)  # the class B approval effective 2026-03-01 ends: the full fee applies from here


@pytest.mark.parametrize("hour", [0, 12, 23], ids=["just-after-midnight", "midday", "late-evening"])
def test_when_the_assessment_ends_the_nightly_job_reissues_the_estimate_at_the_full_fee(
    class_b_patient, personas, fee_config, hour
):
    from apps.billing import tasks

    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"])  # open-ended: 52 sessions, through 2027-03-02
    first = GoodFaithEstimate.objects.get()
    assert (first.class_code, first.period_end) == ("B", dt.date(2027, 3, 2))
    with time_machine.travel(clock.local_datetime(EXPIRY_DAY - dt.timedelta(days=1), dt.time(hour, 30)), tick=False):
        assert tasks.gfe_reissue_after_assessment_expiry() == 0  # still class B for one more day
    with time_machine.travel(clock.local_datetime(EXPIRY_DAY, dt.time(hour, 30)), tick=False):
        assert tasks.gfe_reissue_after_assessment_expiry() == 1
        assert tasks.gfe_reissue_after_assessment_expiry() == 0  # a second run changes nothing
    new = GoodFaithEstimate.objects.exclude(pk=first.pk).get()
    assert (new.replaces, new.reason, new.class_code, new.issued_by) == (first, "fee_class_changed", "FULL", None)
    assert (new.period_start, new.period_end) == (EXPIRY_DAY, dt.date(2027, 3, 2))
    [line] = new.lines
    assert (line["fee"], line["expected_count"], new.total) == ("200.00", 1, Decimal("200.00"))


def test_a_run_missed_for_a_few_days_catches_up(class_b_patient, personas, fee_config):
    with time_machine.travel(NOW, tick=False):
        series_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=class_b_patient,
            service_type=fee_config["90834"],
            first_date=dt.date(2026, 6, 1),
            local_start_time=dt.time(10, 0),
            is_telehealth=True,
            override_reason="Extra hours agreed",
            occurrence_count=52,
        )  # 2026-06-01 .. 2027-05-24
    late = EXPIRY_DAY + dt.timedelta(days=3)
    with time_machine.travel(clock.local_datetime(late, dt.time(12)), tick=False):
        assert gfe_reissue_after_assessment_expiry() == 1
    new = GoodFaithEstimate.objects.get(replaces__isnull=False)
    assert (new.class_code, new.period_start, new.period_end) == ("FULL", late, dt.date(2027, 5, 24))
    assert new.lines[0]["expected_count"] == 12  # 2027-03-08 .. 2027-05-24


def test_a_newer_assessment_in_the_same_class_at_expiry_reissues_nothing(class_b_patient, personas, fee_config):
    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"])
    with time_machine.travel(clock.local_datetime(EXPIRY_DAY - dt.timedelta(days=20), dt.time(10)), tick=False):
        approved_assessment(class_b_patient, household_size=3, income="34150", effective_from=EXPIRY_DAY)
    assert GoodFaithEstimate.objects.count() == 1
    with time_machine.travel(clock.local_datetime(EXPIRY_DAY, dt.time(10)), tick=False):
        assert gfe_reissue_after_assessment_expiry() == 0
    assert GoodFaithEstimate.objects.count() == 1


def test_the_reissue_after_expiry_runs_daily_from_beat():
    from django.conf import settings

    entries = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert entries["apps.billing.tasks.gfe_reissue_after_assessment_expiry"] == 24 * 60 * 60


def test_a_fixed_fee_set_on_the_approved_assessment_reissues_the_estimate(class_b_patient, personas, fee_config):
    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"], occurrence_count=10)
        assessment = class_b_patient.fee_assessments.get()
        assessment_override_set(actor=personas.billing, assessment=assessment, fee=Decimal("25.00"), reason="Hardship")
    new = GoodFaithEstimate.objects.get(replaces__isnull=False)
    assert (new.class_code, new.lines[0]["fee"], new.total) == ("OVR", "25.00", Decimal("250.00"))


def test_a_reissue_counts_only_the_sessions_still_to_come(personas, fee_config):
    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"], occurrence_count=10)  # 2026-03-10 .. 2026-05-12, full fee
    with time_machine.travel(clock.local_datetime(dt.date(2026, 4, 1), dt.time(10)), tick=False):
        approved_assessment(personas.patient, household_size=3, income="34150", effective_from=dt.date(2026, 4, 1))
    new = GoodFaithEstimate.objects.get(replaces__isnull=False)
    # 2026-04-07 is the first of the sessions left: 04-07, 04-14, 04-21, 04-28, 05-05, 05-12.
    assert (new.period_start, new.lines[0]["expected_count"], new.total) == (
        dt.date(2026, 4, 1),
        6,
        Decimal("240.00"),
    )


# --- the patient's notice ----------------------------------------------------------------------------------------


def _notices():
    from apps.notifications.models import Message

    return Message.objects.filter(purpose="good_faith_estimate").order_by("pk")


def test_issuing_an_estimate_emails_the_patient_once_with_a_link_to_it(class_b_patient, personas, fee_config, settings):
    from apps.notifications.rendering import message_render

    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"], occurrence_count=10)
    estimate = GoodFaithEstimate.objects.get()
    [message] = _notices()
    assert (message.channel, message.to_address, message.patient) == ("email", class_b_patient.email, class_b_patient)
    assert (message.subject_type, message.subject_id) == ("billing.goodfaithestimate", str(estimate.pk))
    assert message.dedupe_key == f"good_faith_estimate:{estimate.pk}:issued"
    url = f"{settings.SITE_URL}/portal/billing/estimates/{estimate.pk}/"
    assert message.context["estimate_url"] == url
    rendered = message_render(template=message.template, context=message.context, channel="email")
    assert rendered.subject == "Your Good Faith Estimate is ready"
    for expected in (url, "$400.00", "March 10, 2026", "May 12, 2026"):
        assert expected in rendered.text
        assert expected in rendered.html
    messages_enqueue(messages=gfe_notice_build(estimate=estimate))  # once per estimate: the key is taken
    assert _notices().count() == 1


def test_a_reissued_estimate_sends_its_own_notice_saying_it_replaces_the_earlier_one(personas, fee_config):
    from apps.notifications.rendering import message_render

    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"], occurrence_count=10)
        approved_assessment(personas.patient, household_size=3, income="34150", effective_from=dt.date(2026, 3, 1))
    first, second = _notices()
    new = GoodFaithEstimate.objects.get(replaces__isnull=False)
    assert (second.subject_id, second.context["reissued"]) == (str(new.pk), True)
    rendered = message_render(template=second.template, context=second.context, channel="email")
    assert rendered.subject == "Your Good Faith Estimate has been updated"
    assert "$400.00" in rendered.text and "$2,000.00" not in rendered.text
    assert "replaces your earlier estimate" in rendered.text


def test_the_notice_carries_nothing_of_other_patients(personas, fee_config):
    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"], occurrence_count=10)
        series_book(
            actor=personas.front_desk,
            therapist=personas.other_therapist,
            patient=personas.other_patient,
            service_type=fee_config["90837"],
            first_date=dt.date(2026, 3, 11),
            local_start_time=dt.time(10, 0),
            is_telehealth=True,
            occurrence_count=3,
            override_reason="Extra hours agreed",
        )
    mine = _notices().get(patient=personas.patient)
    assert set(mine.context) == {
        "patient_first_name",
        "reissued",
        "requested",
        "period_start",
        "period_end",
        "total",
        "estimate_url",
    }
    assert mine.context["total"] == "2000.00"
    assert "600.00" not in str(mine.context)


def test_no_notice_without_an_email_address(personas, fee_config):
    personas.patient.email = ""
    personas.patient.save()
    with time_machine.travel(NOW, tick=False):
        _book_weekly(personas, fee_config["90834"], occurrence_count=2)
    assert GoodFaithEstimate.objects.exists()
    assert not _notices().exists()


def test_a_series_booked_around_a_blocked_date_is_estimated_without_it_and_once(personas, fee_config):
    """The estimate is billing's reaction to the series' first booked session: the date skipped because the
    patient already had a session then is not counted, and dispatching the series' transitions again issues
    nothing more."""
    from apps.core.transitions import transitions_dispatch
    from apps.scheduling.models import AppointmentTransition

    with time_machine.travel(NOW, tick=False):
        appointment_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=personas.patient,
            service_type=fee_config["90834"],
            start=clock.local_datetime(dt.date(2026, 3, 17), dt.time(10, 0)),
            is_telehealth=True,
            override_reason="Extra hours agreed",
        )
        booked = series_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=personas.patient,
            service_type=fee_config["90834"],
            first_date=dt.date(2026, 3, 10),
            local_start_time=dt.time(10, 0),
            is_telehealth=True,
            occurrence_count=10,
            override_reason="Extra hours agreed",
            skip_conflicts=True,
        )
        assert len(booked.skipped) == 1
        transitions_dispatch(list(AppointmentTransition.objects.filter(appointment__series=booked.series)))
    estimate = GoodFaithEstimate.objects.get(patient=personas.patient)
    assert estimate.lines[0]["expected_count"] == 9
