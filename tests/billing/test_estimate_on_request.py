"""A Good Faith Estimate issued when a patient asks for one ("what will 12 weekly sessions cost me?"): from the
account page and the API, through the one service, priced as booking the same care prices it, refused with a
message when it cannot be given, noticed to the patient by email only, and listed and printed like any other."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from apps.billing.models import EstimateReason, GoodFaithEstimate
from apps.billing.services.configuration import fee_schedule_set
from apps.billing.services.estimates import gfe_issue_on_request
from apps.core import clock
from apps.core.dates import years_from
from apps.core.errors import Unprocessable
from apps.notifications.models import Message
from apps.scheduling.services import appointment_book, series_book
from tests.factories import ServiceTypeFactory

from .helpers import approved_assessment

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    return clock.local_now().date()


@pytest.fixture
def class_b_patient(personas, fee_config):
    """Household of 3 at $34,150: class B, 20% of $200 = $40 a session."""
    approved_assessment(personas.patient, household_size=3, income="34150")
    return personas.patient


def _request(personas, fee_config, **changes) -> dict:
    """What the front desk types for "12 weekly sessions from in two weeks, with Theo"."""
    start = _today() + dt.timedelta(days=14)
    data = {
        "service_type": fee_config["90834"].pk,
        "therapist": personas.therapist.pk,
        "expected_count": 12,
        "period_start": start.isoformat(),
        "period_end": (start + dt.timedelta(weeks=11)).isoformat(),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _page_post(client, patient, data):
    return client.post(f"/billing/patients/{patient.pk}/estimates/", data)


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- issuing from the account page --------------------------------------------------------------------------------


def test_billing_issues_a_requested_estimate_from_the_account_page(class_b_patient, personas, fee_config, login):
    client = login(personas.billing)
    page = client.get(f"/billing/patients/{class_b_patient.pk}/").content.decode()
    assert f'action="/billing/patients/{class_b_patient.pk}/estimates/"' in page

    response = _page_post(client, class_b_patient, _request(personas, fee_config))

    assert response.status_code == 302
    estimate = GoodFaithEstimate.objects.get(patient=class_b_patient)
    [line] = estimate.lines
    assert (line["cpt"], line["fee"], line["expected_count"], line["amount"]) == ("90834", "40.00", 12, "480.00")
    assert line["provider_name"] == personas.therapist.full_name
    assert (estimate.reason, estimate.issued_by, estimate.class_code) == ("patient_requested", personas.billing, "B")
    assert estimate.total == Decimal("480.00")
    assert (estimate.period_start, estimate.period_end) == (
        _today() + dt.timedelta(days=14),
        _today() + dt.timedelta(days=14, weeks=11),
    )
    assert any("$480.00" in said for said in _said(response))
    ledger = client.get(f"/billing/patients/{class_b_patient.pk}/").content.decode()
    assert f"/billing/estimates/{estimate.pk}/pdf/" in ledger
    assert "Requested by the patient" in ledger


def test_the_therapist_may_be_left_open(class_b_patient, personas, fee_config, login):
    response = _page_post(login(personas.front_desk), class_b_patient, _request(personas, fee_config, therapist=""))
    assert response.status_code == 302
    [line] = GoodFaithEstimate.objects.get(patient=class_b_patient).lines
    assert (line["therapist_id"], line["provider_name"], line["amount"]) == (None, "", "480.00")


def test_a_requested_estimate_is_priced_as_booking_the_series_prices_it(class_b_patient, personas, fee_config):
    """The same 12 weekly sessions, once booked as a series and once asked about: the same lines and total."""
    first = _today() + dt.timedelta(days=14)
    series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=class_b_patient,
        service_type=fee_config["90834"],
        first_date=first,
        local_start_time=dt.time(10, 0),
        is_telehealth=True,
        override_reason="Extra hours agreed",
        occurrence_count=12,
    )
    booked = GoodFaithEstimate.objects.get(patient=class_b_patient, reason=EstimateReason.SERIES_BOOKED)
    asked = gfe_issue_on_request(
        actor=personas.front_desk,
        patient=class_b_patient,
        service_type=fee_config["90834"],
        therapist=personas.therapist,
        expected_count=12,
        period_start=booked.period_start,
        period_end=booked.period_end,
    )
    assert asked.lines == booked.lines
    assert (asked.total, asked.class_code, asked.class_label) == (booked.total, booked.class_code, booked.class_label)
    assert asked.total == Decimal("480.00")


def test_a_requested_intake_estimate_takes_a_scheduled_fee_rise_as_booking_the_intake_does(personas, fee_config):
    """The intake fee rises from $250 to $275 in three days; an intake a week away is estimated at $275 either way."""
    intake = fee_config["90791"]
    day = _today() + dt.timedelta(days=7)
    fee_schedule_set(
        actor=personas.billing,
        service_type=intake,
        full_fee=Decimal("275"),
        effective_from=_today() + dt.timedelta(days=3),
    )
    appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=intake,
        start=clock.local_datetime(day, dt.time(11, 0)),
        is_telehealth=True,
        override_reason="Extra hours agreed",
    )
    booked = GoodFaithEstimate.objects.get(patient=personas.patient, reason=EstimateReason.INTAKE_BOOKED)
    asked = gfe_issue_on_request(
        actor=personas.front_desk,
        patient=personas.patient,
        service_type=intake,
        therapist=personas.therapist,
        expected_count=1,
        period_start=day,
        period_end=day,
    )
    assert asked.lines == booked.lines
    assert asked.total == booked.total == Decimal("275.00")


# --- refusals ------------------------------------------------------------------------------------------------------


def _bodywork_service():
    service = ServiceTypeFactory(code="97140", name="Manual therapy", discipline="bodywork")
    fee_schedule_set(actor=None, service_type=service, full_fee=Decimal("90"), effective_from=dt.date(2025, 1, 1))
    return service


REFUSALS = {
    "end-before-start": (
        lambda p, f: {"period_end": (_today() + dt.timedelta(days=13)).isoformat()},
        "period_end",
    ),
    "over-12-months": (
        lambda p, f: {"period_end": (_today() + dt.timedelta(days=14 + 366)).isoformat()},
        "period_end",
    ),
    "starts-in-the-past": (
        lambda p, f: {"period_start": (_today() - dt.timedelta(days=1)).isoformat()},
        "period_start",
    ),
    "zero-sessions": (lambda p, f: {"expected_count": 0}, "expected_count"),
    # The 12 weeks asked about are 78 days: a 79th session would be a second one on some day.
    "more-sessions-than-days": (lambda p, f: {"expected_count": 79}, "expected_count"),
    "negative-sessions": (lambda p, f: {"expected_count": -3}, "expected_count"),
    "absurd-count": (lambda p, f: {"expected_count": 10**9}, "expected_count"),
    "group-service": (lambda p, f: {"service_type": f["90853"].pk}, "service_type"),
    "inactive-service": (
        lambda p, f: {"service_type": ServiceTypeFactory(code="90999", is_active=False).pk},
        "service_type",
    ),
    "therapist-of-another-discipline": (lambda p, f: {"service_type": _bodywork_service().pk}, "therapist"),
    "not-a-therapist": (lambda p, f: {"therapist": p.front_desk.pk}, "therapist"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_the_api_refuses_with_a_422_naming_the_field(class_b_patient, personas, fee_config, login, case):
    changes, field = REFUSALS[case]
    data = {"patient": class_b_patient.pk, **_request(personas, fee_config, **changes(personas, fee_config))}
    response = login(personas.billing, api=True).post("/api/good-faith-estimates/", data, format="json")
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["message"]
    assert field in error["fields"]
    assert not GoodFaithEstimate.objects.exists()
    assert not Message.objects.filter(purpose="good_faith_estimate").exists()


@pytest.mark.parametrize("case", ["end-before-start", "over-12-months", "zero-sessions", "absurd-count"])
def test_the_page_refuses_on_the_form_as_typed_and_issues_nothing(class_b_patient, personas, fee_config, login, case):
    changes, field = REFUSALS[case]
    response = _page_post(
        login(personas.billing), class_b_patient, _request(personas, fee_config, **changes(personas, fee_config))
    )
    assert response.status_code == 422
    assert response.context["estimate_form"].errors[field]  # said by the field it is about, the form as typed
    assert not _said(response)
    assert not GoodFaithEstimate.objects.exists()


def test_a_service_without_a_fee_is_refused_with_a_message_not_skipped(personas, services_catalogue, login):
    """gfe_issue gives nothing while the clinic has no fee for the service; asked for, the answer says so."""
    with pytest.raises(Unprocessable) as refused:
        gfe_issue_on_request(
            actor=personas.billing,
            patient=personas.patient,
            service_type=services_catalogue["90834"],
            therapist=None,
            expected_count=4,
            period_start=_today(),
            period_end=_today() + dt.timedelta(weeks=3),
        )
    assert "no fee" in refused.value.message.lower()
    assert "service_type" in refused.value.fields
    response = _page_post(login(personas.billing), personas.patient, _request(personas, services_catalogue))
    assert response.status_code == 422
    assert "no fee" in " ".join(response.context["estimate_form"].non_field_errors()).lower()
    api = login(personas.billing, api=True).post(
        "/api/good-faith-estimates/",
        {"patient": personas.patient.pk, **_request(personas, services_catalogue)},
        format="json",
    )
    assert api.status_code == 422
    assert "service_type" in api.json()["error"]["fields"]
    assert not GoodFaithEstimate.objects.exists()


def test_the_form_lists_only_individual_services_in_use(class_b_patient, personas, fee_config, login):
    ServiceTypeFactory(code="90999", name="Retired service", is_active=False)
    page = login(personas.billing).get(f"/billing/patients/{class_b_patient.pk}/").content.decode()
    form = page[page.index('id="gfe-h"') :]
    assert "Individual psychotherapy, 45 min" in form
    assert "Group psychotherapy" not in form
    assert "Retired service" not in form


# --- the patient's notice, the portal and the PDF -----------------------------------------------------------------


def test_the_patient_is_emailed_once_and_never_texted_an_amount(class_b_patient, personas, fee_config, login):
    from apps.notifications.rendering import message_render

    class_b_patient.sms_consent_at = clock.now()
    class_b_patient.save(update_fields=["sms_consent_at"])
    assert class_b_patient.can_receive_sms
    _page_post(login(personas.billing), class_b_patient, _request(personas, fee_config))
    estimate = GoodFaithEstimate.objects.get()
    [message] = Message.objects.filter(purpose="good_faith_estimate")
    assert (message.channel, message.to_address) == ("email", class_b_patient.email)
    assert message.dedupe_key == f"good_faith_estimate:{estimate.pk}:issued"
    rendered = message_render(template=message.template, context=message.context, channel="email")
    assert "$480.00" in rendered.text
    # Nothing is booked yet: the notice speaks of the care asked about, not of care booked.
    assert "you asked about" in rendered.text
    assert "you have booked" not in rendered.text
    assert "you asked about" in rendered.html


def test_the_requested_estimate_shows_in_the_portal_and_prints(class_b_patient, personas, fee_config, login):
    _page_post(login(personas.front_desk), class_b_patient, _request(personas, fee_config, therapist=""))
    estimate = GoodFaithEstimate.objects.get()
    patient = login(personas.patient_user)
    assert f"/portal/billing/estimates/{estimate.pk}/" in patient.get("/portal/billing/").content.decode()
    page = patient.get(f"/portal/billing/estimates/{estimate.pk}/").content.decode()
    assert "Requested by the patient" in page
    assert "$480.00" in page
    for client, url in (
        (patient, f"/portal/billing/estimates/{estimate.pk}/pdf/"),
        (login(personas.billing), f"/billing/estimates/{estimate.pk}/pdf/"),
    ):
        pdf = client.get(url)
        assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
        assert pdf.content.startswith(b"%PDF")
    api = login(personas.patient_user, api=True).get("/api/good-faith-estimates/").json()
    assert [row["id"] for row in api["results"]] == [estimate.pk]


# --- who may issue one --------------------------------------------------------------------------------------------

WHO_ISSUES = [
    ("billing", True),
    ("admin", True),
    ("front_desk", True),
    ("therapist", False),
    ("other_therapist", False),
    ("patient_user", False),
    ("other_patient_user", False),
]


@pytest.mark.parametrize(("persona", "allowed"), WHO_ISSUES)
def test_who_issues_one_from_the_page(class_b_patient, personas, fee_config, login, persona, allowed):
    client = login(getattr(personas, persona))
    response = _page_post(client, class_b_patient, _request(personas, fee_config))
    assert response.status_code == (302 if allowed else 403)
    assert GoodFaithEstimate.objects.exists() == allowed
    if not allowed:
        assert class_b_patient.legal_last_name not in response.content.decode()


@pytest.mark.parametrize(("persona", "allowed"), WHO_ISSUES)
def test_who_issues_one_through_the_api(class_b_patient, personas, fee_config, login, persona, allowed):
    data = {"patient": class_b_patient.pk, **_request(personas, fee_config)}
    response = login(getattr(personas, persona), api=True).post("/api/good-faith-estimates/", data, format="json")
    assert response.status_code == (201 if allowed else 403)
    assert GoodFaithEstimate.objects.exists() == allowed
    if allowed:
        body = response.json()
        assert (body["reason"], body["total"], body["patient"]) == ("patient_requested", "480.00", class_b_patient.pk)
    else:
        assert "480" not in response.content.decode()


def test_twelve_months_and_one_session_a_day_are_the_most_estimated(class_b_patient, personas, fee_config):
    start = _today() + dt.timedelta(days=14)
    estimate = gfe_issue_on_request(
        actor=personas.billing,
        patient=class_b_patient,
        service_type=fee_config["90834"],
        therapist=None,
        expected_count=78,
        period_start=start,
        period_end=start + dt.timedelta(weeks=11),
    )
    assert estimate.total == Decimal("3120.00")
    a_year = gfe_issue_on_request(
        actor=personas.billing,
        patient=class_b_patient,
        service_type=fee_config["90834"],
        therapist=None,
        expected_count=52,
        period_start=start,
        period_end=years_from(start, 1) - dt.timedelta(days=1),
    )
    assert a_year.total == Decimal("2080.00")


def test_the_front_desk_sees_the_form(class_b_patient, personas, fee_config, login):
    action = f'action="/billing/patients/{class_b_patient.pk}/estimates/"'
    assert action in login(personas.front_desk).get(f"/billing/patients/{class_b_patient.pk}/").content.decode()


def test_the_api_refuses_an_unknown_patient(personas, fee_config, login):
    data = {"patient": 987654, **_request(personas, fee_config)}
    response = login(personas.billing, api=True).post("/api/good-faith-estimates/", data, format="json")
    assert response.status_code == 400
    assert "patient" in response.json()["error"]["fields"]


def test_a_series_starting_after_a_scheduled_fee_rise_is_estimated_at_the_new_fee(personas, fee_config):
    """The session fee rises to $220 in three days; a weekly series starting in a week is charged $220 a session,
    so its estimate says $220 a session, as an estimate asked for the same care does."""
    service = fee_config["90834"]
    fee_schedule_set(
        actor=personas.billing, service_type=service, full_fee=Decimal("220"), effective_from=_today() + dt.timedelta(3)
    )
    first = _today() + dt.timedelta(days=7)
    series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=service,
        first_date=first,
        local_start_time=dt.time(10, 0),
        is_telehealth=True,
        override_reason="Extra hours agreed",
        occurrence_count=4,
    )
    booked = GoodFaithEstimate.objects.get(patient=personas.patient, reason=EstimateReason.SERIES_BOOKED)
    assert booked.total == Decimal("880.00")
    asked = gfe_issue_on_request(
        actor=personas.front_desk,
        patient=personas.patient,
        service_type=service,
        therapist=personas.therapist,
        expected_count=4,
        period_start=booked.period_start,
        period_end=booked.period_end,
    )
    assert asked.lines == booked.lines
