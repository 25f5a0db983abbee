"""Cancelling asks first and states the late-cancel fee it will post at the patient's class; the figure stated (page,
dialog, API preview) is the figure the cancellation posts. A refused move shows the form again as it was typed."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.billing.models import Charge, PackagePurchase
from apps.core.models import ClinicSettings
from apps.core.money import money_text
from apps.scheduling import services
from apps.scheduling.models import Appointment
from tests.factories import AppointmentFactory

from .conftest import MONDAY, at, confirmation_dialog

pytestmark = pytest.mark.django_db


@pytest.fixture
def inside_window(session, frozen_now):
    """Three hours before the session: inside the 24-hour cancellation window."""
    frozen_now.move_to(at(MONDAY, 7))
    return session


def _cancel_url(appointment) -> str:
    return reverse("scheduling:appointment_cancel", args=[appointment.pk])


def test_the_preview_prices_the_late_cancel_at_the_patients_class_as_the_charge_does(priced, inside_window):
    preview = services.cancellation_preview(appointment=inside_window, actor=priced.front_desk)
    [outcome] = preview.outcomes
    assert outcome.late and outcome.fee.fee == Decimal("40.00") and outcome.fee.class_code == "C"

    services.appointment_cancel(appointment=inside_window, actor=priced.front_desk)

    charge = Charge.objects.get(appointment=inside_window)
    assert (charge.kind, charge.amount, charge.class_code) == ("late_cancel", outcome.fee.fee, outcome.fee.class_code)
    assert preview.fee_total == charge.amount


def test_outside_the_window_or_waived_the_preview_posts_nothing(priced, session, frozen_now):
    assert services.cancellation_preview(appointment=session, actor=priced.front_desk).outcomes[0].fee is None
    frozen_now.move_to(at(MONDAY, 7))
    waived = services.cancellation_preview(appointment=session, actor=priced.front_desk, waive_late_fee=True)
    assert not waived.is_late and waived.fee_total == Decimal("0.00")


def test_without_a_fee_configuration_the_preview_states_no_fee_as_the_cancellation_posts_none(clinic, inside_window):
    [outcome] = services.cancellation_preview(appointment=inside_window, actor=clinic.front_desk).outcomes
    assert outcome.late and outcome.fee is None
    services.appointment_cancel(appointment=inside_window, actor=clinic.front_desk)
    assert not Charge.objects.exists()


def test_a_late_cancel_a_package_covers_is_previewed_as_a_package_session_as_the_cancel_uses_one(
    priced, packaged, inside_window, login
):
    [outcome] = services.cancellation_preview(appointment=inside_window, actor=priced.front_desk).outcomes
    assert outcome.late and outcome.fee.package_session and outcome.fee.fee == Decimal("0.00")
    client = login(priced.front_desk)
    api = login(priced.front_desk, api=True).get(f"/api/appointments/{inside_window.pk}/cancel-preview/").json()
    assert [(s["late_fee"], s["package_session"]) for s in api["sessions"]] == [("0.00", True)]
    asked = client.post(_cancel_url(inside_window), {"reason": "Flu"}).content.decode()
    assert "package is used for it instead of a fee" in asked and "late-cancellation fee of" not in asked

    client.post(_cancel_url(inside_window), {"reason": "Flu", "confirmed": "yes"})

    line = Charge.objects.get(appointment=inside_window)
    assert (line.kind, line.amount, line.class_code) == ("late_cancel", outcome.fee.fee, outcome.fee.class_code)
    packaged.refresh_from_db()
    assert packaged.sessions_used == 1


def test_the_first_post_asks_and_states_the_fee_then_the_confirmation_cancels(priced, inside_window, login):
    client = login(priced.front_desk)

    asked = client.post(_cancel_url(inside_window), {"reason": "Flu"})

    body = asked.content.decode()
    assert asked.status_code == 200
    assert "This is a late cancellation" in body and "$40.00" in body
    assert "at their fee class (" in body
    assert 'name="confirmed" value="yes"' in body and 'name="reason" value="Flu"' in body
    assert Appointment.objects.get(pk=inside_window.pk).status == "booked"

    done = client.post(_cancel_url(inside_window), {"reason": "Flu", "confirmed": "yes"})

    assert done.status_code == 302
    charge = Charge.objects.get(appointment=inside_window)
    assert money_text(charge.amount) in body
    assert Appointment.objects.get(pk=inside_window.pk).status == "late_cancelled"


def test_through_htmx_the_confirmation_is_a_dialog(priced, inside_window, login):
    response = login(priced.front_desk).post(_cancel_url(inside_window), {"reason": ""}, HTTP_HX_REQUEST="true")
    body = confirmation_dialog(response)
    assert "$40.00" in body and "Keep the session" in body


def test_waiving_needs_a_reason_and_then_states_no_fee(priced, inside_window, login):
    client = login(priced.front_desk)
    refused = client.post(_cancel_url(inside_window), {"waive_late_fee": "on"})
    assert refused.status_code == 422 and "Say why the fee is waived." in refused.content.decode()
    in_dialog = client.post(_cancel_url(inside_window), {"waive_late_fee": "on"}, HTTP_HX_REQUEST="true")
    assert in_dialog.status_code == 200 and "Say why the fee is waived." in in_dialog.content.decode()
    asked = client.post(_cancel_url(inside_window), {"waive_late_fee": "on", "reason": "Therapist ill"})
    assert "fee is waived: no fee will be posted" in asked.content.decode()
    client.post(_cancel_url(inside_window), {"waive_late_fee": "on", "reason": "Therapist ill", "confirmed": "yes"})
    assert Appointment.objects.get(pk=inside_window.pk).status == "cancelled" and not Charge.objects.exists()


def _three_weeks(clinic):
    """Three weekly sessions of the patient from MONDAY at 15:00."""
    return services.series_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        first_date=MONDAY,
        local_start_time=dt.time(15, 0),
        occurrence_count=3,
    )


def test_cancelling_the_rest_of_a_series_lists_each_session(priced, login, frozen_now):
    weekly = _three_weeks(priced)
    frozen_now.move_to(at(MONDAY, 9))
    body = login(priced.front_desk).post(_cancel_url(weekly.booked[0]), {"scope": "following"}).content.decode()
    assert "3 sessions of the series will be cancelled" in body
    assert "late cancellation, fee $40.00" in body and body.count("late cancellation") == 1
    assert "Yes, cancel 3 sessions" in body
    # The confirmation posts back what was asked, as a browser sends its hidden fields.
    assert 'name="scope" value="following"' in body and "<select" not in body.split('name="confirmed"')[1]
    login(priced.front_desk).post(_cancel_url(weekly.booked[0]), _hidden_fields(body))
    statuses = Appointment.objects.filter(series=weekly.series).values_list("status", flat=True)
    assert sorted(statuses) == ["cancelled", "cancelled", "late_cancelled"]


def _hidden_fields(body: str) -> dict:
    """The hidden inputs of the page's confirmation form (the one that says confirmed=yes)."""
    form = body[body.index('name="confirmed"') - 200 :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def test_the_api_preview_states_the_figure_the_page_states_and_the_cancellation_posts(priced, inside_window, login):
    api = login(priced.front_desk, api=True)
    url = f"/api/appointments/{inside_window.pk}/cancel-preview/"

    preview = api.get(url).json()
    page = login(priced.front_desk).post(_cancel_url(inside_window), {}).content.decode()
    api.post(f"/api/appointments/{inside_window.pk}/cancel/", {}, format="json")

    charge = Charge.objects.get(appointment=inside_window)
    assert preview["late"] is True and preview["class_label"] == charge.class_label
    assert [s["late_fee"] for s in preview["sessions"]] == [str(charge.amount)] == [preview["late_fee_total"]]
    assert money_text(charge.amount) in page


def test_the_api_preview_writes_nothing_and_refuses_what_cancel_refuses(priced, inside_window, login):
    api = login(priced.front_desk, api=True)
    url = f"/api/appointments/{inside_window.pk}/cancel-preview/"
    assert api.get(url, {"waive_late_fee": "true"}).json()["late_fee_total"] == "0.00"
    assert api.get(url, {"scope": "following"}).status_code == 422
    assert Appointment.objects.get(pk=inside_window.pk).status == "booked"
    services.appointment_cancel(appointment=inside_window, actor=priced.front_desk)
    assert api.get(url).status_code == 409


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("front_desk", 200),
        ("admin", 200),
        ("therapist", 200),
        ("patient_user", 200),
        ("billing", 403),
        ("other_therapist", 404),
        ("other_patient_user", 404),
    ],
)
def test_who_may_preview_a_cancellation(priced, inside_window, login, who, status):
    response = login(getattr(priced, who), api=True).get(f"/api/appointments/{inside_window.pk}/cancel-preview/")
    assert response.status_code == status
    if status != 200:
        assert priced.patient.legal_last_name not in response.content.decode()


@pytest.mark.parametrize(("who", "status"), [("billing", 403), ("other_therapist", 404), ("patient_user", 403)])
def test_who_may_not_ask_to_cancel_on_the_staff_page(priced, inside_window, login, who, status):
    assert login(getattr(priced, who)).post(_cancel_url(inside_window), {}).status_code == status


def test_a_clashing_move_shows_the_form_again_with_what_was_typed(clinic, session, others_session, login):
    client = login(clinic.front_desk)
    typed = {"date": str(MONDAY), "time": "10:30", "room": clinic.cedar.pk, "override_reason": "Asked by phone"}

    response = client.post(reverse("scheduling:appointment_reschedule", args=[session.pk]), typed)

    body = response.content.decode()
    assert response.status_code == 409
    assert f'value="{MONDAY.isoformat()}"' in body and 'value="10:30"' in body and "Asked by phone" in body
    assert f'<option value="{clinic.cedar.pk}" selected>' in body
    assert "already booked" in body or "collides" in body or "Cedar" in body
    assert Appointment.objects.get(pk=session.pk).start == at(MONDAY, 10)


def test_a_move_with_no_time_shows_the_form_again_with_the_error(clinic, session, login):
    response = login(clinic.front_desk).post(
        reverse("scheduling:appointment_reschedule", args=[session.pk]), {"date": str(MONDAY)}
    )
    assert response.status_code == 422
    assert 'value="2026-06-01"' in response.content.decode() and "This field is required." in response.content.decode()


def test_a_package_with_one_session_left_covers_one_of_two_late_cancels_in_the_preview_as_in_the_charges(
    priced, packaged, frozen_now
):
    ClinicSettings.objects.update_or_create(id=1, defaults={"cancellation_window_hours": 24 * 9})  # two weeks in it
    PackagePurchase.objects.filter(pk=packaged.pk).update(sessions_used=packaged.sessions_total - 1)
    weekly = _three_weeks(priced)
    frozen_now.move_to(at(MONDAY, 9))

    with CaptureQueriesContext(connection) as read:
        preview = services.cancellation_preview(
            appointment=weekly.booked[0], actor=priced.front_desk, scope="following"
        )
    assert sum('FROM "billing_packagepurchase"' in q["sql"] for q in read.captured_queries) == 1
    stated = [(o.late, o.fee and o.fee.package_session, o.fee and o.fee.fee) for o in preview.outcomes]
    assert stated == [(True, True, Decimal("0.00")), (True, False, Decimal("40.00")), (False, None, None)]

    services.series_cancel_following(appointment=weekly.booked[0], actor=priced.front_desk)

    posted = [
        list(Charge.objects.filter(appointment=o.appointment).values_list("amount", flat=True))
        for o in preview.outcomes
    ]
    assert posted == [[Decimal("0.00")], [Decimal("40.00")], []]
    assert preview.fee_total == Decimal("40.00")


def test_the_rest_of_a_series_cannot_be_cancelled_from_a_session_no_longer_booked(priced, login, frozen_now):
    """The confirmation refuses a cancelled session as the start of "this and the following"; so does cancelling,
    from the page, the API and the service (even holding the session as it was before it was cancelled)."""
    weekly = _three_weeks(priced)
    first, later = weekly.booked[0], weekly.booked[1:]
    services.appointment_cancel(appointment=Appointment.objects.get(pk=first.pk), actor=priced.front_desk)
    api = login(priced.front_desk, api=True)

    preview = api.get(f"/api/appointments/{first.pk}/cancel-preview/", {"scope": "following"})
    cancel = api.post(f"/api/appointments/{first.pk}/cancel/", {"scope": "following"}, format="json")
    assert preview.status_code == cancel.status_code == 409
    message = (
        "This session was already cancelled on May 29, 2026. "
        "Nothing more is needed; a new session can be booked for another time."
    )
    assert preview.json()["error"]["message"] == cancel.json()["error"]["message"] == message
    page = login(priced.front_desk).post(_cancel_url(first), {"scope": "following", "confirmed": "yes"}, follow=True)
    assert message in page.content.decode()
    with pytest.raises(services.InvalidTransition, match="already cancelled on May 29, 2026"):
        services.series_cancel_following(appointment=first, actor=priced.front_desk)
    assert set(Appointment.objects.filter(pk__in=[a.pk for a in later]).values_list("status", flat=True)) == {"booked"}


def _detail(client, appointment) -> str:
    response = client.get(reverse("scheduling:appointment_detail", args=[appointment.pk]))
    assert response.status_code == 200, response
    return response.content.decode()


def test_the_fee_waiver_is_offered_only_where_a_late_cancel_posts_a_charge(priced, session, login, frozen_now):
    meeting = AppointmentFactory(
        therapist=priced.therapist, patient=None, service_type=priced.group, start=at(MONDAY, 15)
    )
    assert 'name="waive_late_fee"' not in _detail(login(priced.front_desk), session)  # not late: nothing to waive

    frozen_now.move_to(at(MONDAY, 9))

    client = login(priced.front_desk)
    late_session = _detail(client, session)
    assert 'name="waive_late_fee"' in late_session and "unless you waive it" in late_session
    late_meeting = _detail(client, meeting)
    assert "Cancel session…" in late_meeting
    assert 'name="waive_late_fee"' not in late_meeting and "waive" not in late_meeting.lower()


def test_a_group_meeting_cancelled_late_posts_nothing_and_ignores_a_waiver_it_was_never_offered(
    priced, login, frozen_now
):
    meeting = AppointmentFactory(
        therapist=priced.therapist, patient=None, service_type=priced.group, start=at(MONDAY, 15)
    )
    frozen_now.move_to(at(MONDAY, 9))
    client = login(priced.front_desk)
    asked = client.post(_cancel_url(meeting), {"reason": "Facilitator ill", "waive_late_fee": "on"})
    assert asked.status_code == 200 and "waived" not in asked.content.decode()
    client.post(_cancel_url(meeting), {"reason": "Facilitator ill", "confirmed": "yes"})
    assert Appointment.objects.get(pk=meeting.pk).status == "late_cancelled" and not Charge.objects.exists()


def test_moving_a_group_meeting_asks_no_reduced_fee_cap_reason_and_still_moves(priced, session, login):
    meeting = AppointmentFactory(
        therapist=priced.therapist, patient=None, service_type=priced.group, start=at(MONDAY, 15)
    )
    client = login(priced.front_desk)
    assert 'name="cap_override_reason"' in _detail(client, session)
    assert 'name="cap_override_reason"' not in _detail(client, meeting)
    later = at(MONDAY, 16).astimezone(meeting.location.zone)
    moved = client.post(
        reverse("scheduling:appointment_reschedule", args=[meeting.pk]),
        {"date": later.date().isoformat(), "time": later.strftime("%H:%M"), "override_reason": "Room change"},
    )
    assert moved.status_code == 302, moved.content.decode()[:2000]
    assert Appointment.objects.get(pk=meeting.pk).start == at(MONDAY, 16)
