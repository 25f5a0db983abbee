"""A therapist's reduced-fee cap is enforced on every path that gives them a new patient: a single booking, a series
(page and API), accepting a slot offer and extending an open-ended series. Only current patients count; staff may
override with a reason, which is logged."""

import datetime as dt

import pytest
import time_machine

from apps.accounts.roles import Role
from apps.accounts.services import therapist_profile_change
from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.errors import Conflict, PermissionDenied
from apps.scheduling import services as scheduling
from apps.scheduling.models import Appointment, AppointmentSeries, WorkingHours
from apps.waitlist.models import FreedSlot, SlotOffer
from apps.waitlist.services import slot_offer_accept, slot_request_create
from tests.billing.helpers import approved_assessment, past_appointment
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

REDUCED = {"household_size": 2, "income": "20000"}  # class A: the nominal fee


def next_monday() -> dt.date:
    today = clock.local_now().date()
    return today + dt.timedelta(days=(7 - today.weekday()) or 7)


def new_patient(**assessment):
    patient = PatientFactory(user=UserFactory(roles=[Role.PATIENT]))
    if assessment:
        approved_assessment(patient, **assessment)
    return patient


@pytest.fixture
def capped(personas, fee_config):
    """The therapist works every day, has a cap of one reduced-fee patient, and carries one: their own patient,
    seen ten days ago."""
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=personas.therapist, weekday=weekday, start_time=dt.time(8), end_time=dt.time(20)
        )
    profile = personas.therapist.therapist_profile
    profile.reduced_fee_cap = 1
    profile.save()
    approved_assessment(personas.patient, **REDUCED)
    past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=10)
    return fee_config["90834"]


def series_body(personas, patient, service, **extra):
    return {
        "therapist": personas.therapist.pk,
        "patient": patient.pk,
        "service_type": service.pk,
        "first_date": str(next_monday()),
        "local_start_time": "10:00",
        "occurrence_count": 3,
        "is_telehealth": True,
        **extra,
    }


def test_a_series_through_the_api_past_the_cap_is_refused_naming_the_therapist_and_the_cap(personas, capped, login):
    newcomer = new_patient(**REDUCED)
    response = login(personas.front_desk, api=True).post(
        "/api/appointment-series/", series_body(personas, newcomer, capped), format="json"
    )
    assert response.status_code == 409
    assert personas.therapist.full_name in response.json()["error"]["message"]
    assert "cap of 1" in response.json()["error"]["message"]
    assert not AppointmentSeries.objects.filter(patient=newcomer).exists()


def test_staff_override_the_cap_with_a_reason_which_is_logged(personas, capped, login):
    newcomer = new_patient(**REDUCED)
    body = series_body(personas, newcomer, capped, cap_override_reason="Continuity after the hospital stay")
    response = login(personas.front_desk, api=True).post("/api/appointment-series/", body, format="json")
    assert response.status_code == 201, response.content
    series = AppointmentSeries.objects.get(patient=newcomer)
    assert series.cap_override_reason == "Continuity after the hospital stay"
    entry = AccessLog.objects.get(action="reduced_fee_cap_override", patient_id=newcomer.pk)
    assert entry.actor == personas.front_desk
    assert entry.detail == {
        "therapist_id": personas.therapist.pk,
        "cap": 1,
        "carried": 1,
        "reason": "Continuity after the hospital stay",
    }


def test_a_therapist_cannot_override_their_own_cap(personas, capped):
    newcomer = new_patient(**REDUCED)
    with pytest.raises(PermissionDenied):
        scheduling.series_book(
            actor=personas.therapist,
            therapist=personas.therapist,
            patient=newcomer,
            service_type=capped,
            first_date=next_monday(),
            local_start_time=dt.time(10),
            occurrence_count=2,
            is_telehealth=True,
            cap_override_reason="I have room",
        )


def test_a_single_booking_past_the_cap_is_refused(personas, capped):
    newcomer = new_patient(**REDUCED)
    with pytest.raises(Conflict, match="cap of 1"):
        scheduling.appointment_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=newcomer,
            service_type=capped,
            start=clock.local_datetime(next_monday(), dt.time(10)),
            is_telehealth=True,
        )


def test_the_series_page_asks_for_an_override_reason(personas, capped, login):
    newcomer = new_patient(**REDUCED)
    response = login(personas.front_desk).post(
        "/schedule/series/new/",
        {
            **series_body(personas, newcomer, capped),
            "ends": "count",
            "interval_weeks": 1,
            "is_telehealth": "on",
        },
    )
    assert response.status_code == 409
    assert "cap of 1" in response.content.decode()
    assert not AppointmentSeries.objects.filter(patient=newcomer).exists()


def test_the_patient_already_carried_and_full_fee_patients_are_not_held_to_the_cap(personas, capped):
    full_fee = new_patient()
    for patient in (personas.patient, full_fee):
        scheduling.series_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=patient,
            service_type=capped,
            first_date=next_monday(),
            local_start_time=dt.time(10 if patient == full_fee else 12),
            occurrence_count=2,
            is_telehealth=True,
        )


def test_a_reduced_fee_patient_not_seen_for_sixty_days_no_longer_counts(personas, capped):
    Appointment.objects.filter(patient=personas.patient).delete()
    past_appointment(personas.patient, service_type=capped, days_ago=61)
    newcomer = new_patient(**REDUCED)
    booked = scheduling.series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=newcomer,
        service_type=capped,
        first_date=next_monday(),
        local_start_time=dt.time(10),
        occurrence_count=2,
        is_telehealth=True,
    )
    assert len(booked.booked) == 2


def test_a_cancelled_session_does_not_make_a_patient_current(personas, capped):
    Appointment.objects.filter(patient=personas.patient).update(status="cancelled")
    newcomer = new_patient(**REDUCED)
    scheduling.appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=newcomer,
        service_type=capped,
        start=clock.local_datetime(next_monday(), dt.time(10)),
        is_telehealth=True,
    )


def _offered_slot(personas, service, patient) -> SlotOffer:
    """A weekly Monday time with the therapist, freed by a cancelled series and offered to `patient`."""
    full_fee = new_patient()
    weekly = scheduling.series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=full_fee,
        service_type=service,
        first_date=next_monday(),
        local_start_time=dt.time(10),
        is_telehealth=True,
    )
    slot_request_create(
        actor=patient.user,
        patient=patient,
        service_type=service,
        weekdays=[0],
        earliest_start=dt.time(9),
        latest_start=dt.time(12),
    )
    scheduling.series_cancel_following(appointment=weekly.booked[0], actor=personas.front_desk, reason="Finished")
    return SlotOffer.objects.get(request__patient=patient)


def test_accepting_a_slot_offer_past_the_cap_is_refused_and_the_offer_stays_open(personas, capped):
    newcomer = new_patient(**REDUCED)
    offer = _offered_slot(personas, capped, newcomer)
    with pytest.raises(Conflict, match="cap of 1"):
        slot_offer_accept(actor=newcomer.user, offer=offer)
    offer.refresh_from_db()
    assert offer.status == "outstanding"
    assert FreedSlot.objects.get(pk=offer.slot_id).status != "taken"
    accepted = slot_offer_accept(
        actor=personas.front_desk, offer=offer, cap_override_reason="Agreed with the clinical director"
    )
    assert accepted.series.cap_override_reason == "Agreed with the clinical director"


def _open_ended_series(personas, service, patient, **extra):
    return scheduling.series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=patient,
        service_type=service,
        first_date=next_monday(),
        is_telehealth=True,
        **{"local_start_time": dt.time(10), **extra},
    ).series


def test_extending_a_series_of_a_reduced_fee_patient_not_seen_yet_past_the_cap_is_refused(personas, capped):
    patient = new_patient()  # full fee when booked, so not held to the cap then; no session has taken place yet
    series = _open_ended_series(personas, capped, patient)
    approved_assessment(patient, **REDUCED)
    booked_through = series.booked_through
    later = clock.local_now().date() + dt.timedelta(weeks=4)
    with pytest.raises(Conflict, match="cap of 1"):
        scheduling.series_extend(series=series, today=later)
    series.refresh_from_db()
    assert series.booked_through == booked_through


def test_extending_a_series_booked_with_a_cap_override_goes_on(personas, capped):
    patient = new_patient(**REDUCED)
    series = _open_ended_series(personas, capped, patient, cap_override_reason="Continuity of care")
    later = clock.local_now().date() + dt.timedelta(weeks=4)
    assert scheduling.series_extend(series=series, today=later).booked


def test_extending_the_series_of_a_patient_seen_lately_goes_on(personas, capped):
    series = _open_ended_series(personas, capped, personas.patient)
    later = clock.local_now().date() + dt.timedelta(weeks=4)
    assert scheduling.series_extend(series=series, today=later).booked


def test_the_nightly_extension_skips_a_series_past_the_cap_and_extends_the_others(personas, capped):
    from apps.scheduling import tasks

    patient = new_patient()
    refused = _open_ended_series(personas, capped, patient)
    approved_assessment(patient, **REDUCED)
    Appointment.objects.filter(series=refused).update(status="cancelled")  # so never seen
    carried = _open_ended_series(personas, capped, personas.patient, local_start_time=dt.time(14))
    before = {s.pk: s.booked_through for s in (refused, carried)}
    with time_machine.travel(clock.now() + dt.timedelta(weeks=4), tick=False):
        assert tasks.series_extend_open_ended() > 0
    refused.refresh_from_db()
    carried.refresh_from_db()
    assert refused.booked_through == before[refused.pk]
    assert carried.booked_through > before[carried.pk]


# --- the slot-offer API ------------------------------------------------------------------------------------------


def _accept_through_the_api(client, offer, **body):
    return client.post(f"/api/slot-requests/{offer.request_id}/accept-offer/", body, format="json")


def test_accepting_a_slot_offer_through_the_api_past_the_cap_answers_409_naming_the_therapist_and_the_cap(
    personas, capped, login
):
    newcomer = new_patient(**REDUCED)
    offer = _offered_slot(personas, capped, newcomer)
    response = _accept_through_the_api(login(newcomer.user, api=True), offer)
    assert response.status_code == 409
    error = response.json()["error"]
    assert personas.therapist.full_name in error["message"] and "cap of 1" in error["message"]
    assert (error["therapist"], error["reduced_fee_cap"], error["reduced_fee_patients"]) == (
        personas.therapist.pk,
        1,
        1,
    )
    assert "cap_override_reason" in error["fields"]
    offer.refresh_from_db()
    assert offer.status == "outstanding"


def test_staff_accept_a_slot_offer_through_the_api_with_a_cap_override_reason(personas, capped, login):
    newcomer = new_patient(**REDUCED)
    offer = _offered_slot(personas, capped, newcomer)
    response = _accept_through_the_api(
        login(personas.front_desk, api=True), offer, cap_override_reason="Agreed with the clinical director"
    )
    assert response.status_code == 200, response.content
    offer.refresh_from_db()
    assert offer.status == "accepted"
    assert offer.series.cap_override_reason == "Agreed with the clinical director"
    entry = AccessLog.objects.get(action="reduced_fee_cap_override", patient_id=newcomer.pk)
    assert (entry.actor, entry.detail["therapist_id"]) == (personas.front_desk, personas.therapist.pk)


@pytest.mark.parametrize(("persona", "status"), [("newcomer", 403), ("therapist", 404), ("other_patient_user", 404)])
def test_only_staff_may_override_the_cap_on_a_slot_offer(personas, capped, login, persona, status):
    newcomer = new_patient(**REDUCED)
    offer = _offered_slot(personas, capped, newcomer)
    user = newcomer.user if persona == "newcomer" else getattr(personas, persona)
    response = _accept_through_the_api(login(user, api=True), offer, cap_override_reason="I really need this time")
    assert response.status_code == status
    assert newcomer.legal_last_name not in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == "outstanding"
    assert not AccessLog.objects.filter(action="reduced_fee_cap_override").exists()


def test_a_full_fee_patient_accepts_a_slot_offer_through_the_api_without_a_reason(personas, capped, login):
    newcomer = new_patient()
    offer = _offered_slot(personas, capped, newcomer)
    assert _accept_through_the_api(login(newcomer.user, api=True), offer).status_code == 200


# --- moving sessions to another therapist ------------------------------------------------------------------------


@pytest.fixture
def other_capped(personas, capped):
    """The other therapist also works every day with a cap of one, which their own reduced-fee patient fills; the
    therapist's reduced-fee patient has a weekly series with the therapist, from next Monday at 10:00."""
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=personas.other_therapist, weekday=weekday, start_time=dt.time(8), end_time=dt.time(20)
        )
    profile = personas.other_therapist.therapist_profile
    profile.reduced_fee_cap = 1
    profile.save()
    approved_assessment(personas.other_patient, **REDUCED)
    past_appointment(personas.other_patient, service_type=capped, days_ago=10)
    return _open_ended_series(personas, capped, personas.patient, occurrence_count=3)


def _first(series) -> Appointment:
    return Appointment.objects.filter(series=series).order_by("start").first()


def _same_time(appointment) -> str:
    return appointment.start.isoformat()


def test_moving_a_session_to_another_therapist_past_their_cap_is_refused(personas, other_capped):
    session = _first(other_capped)
    with pytest.raises(Conflict, match="cap of 1") as refused:
        scheduling.appointment_reschedule(
            appointment=session, actor=personas.front_desk, start=session.start, therapist=personas.other_therapist
        )
    assert personas.other_therapist.full_name in refused.value.message
    session.refresh_from_db()
    assert session.therapist == personas.therapist


def test_moving_a_session_within_the_same_therapist_is_not_held_to_the_cap(personas, other_capped):
    session = _first(other_capped)
    [moved] = scheduling.appointment_reschedule(
        appointment=session,
        actor=personas.front_desk,
        start=session.start + dt.timedelta(hours=2),
        therapist=personas.therapist,
    )
    assert moved.therapist == personas.therapist


def test_the_reschedule_api_answers_409_naming_the_other_therapist_and_their_cap(personas, other_capped, login):
    session = _first(other_capped)
    response = login(personas.front_desk, api=True).post(
        f"/api/appointments/{session.pk}/reschedule/",
        {"start": _same_time(session), "therapist": personas.other_therapist.pk},
        format="json",
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert personas.other_therapist.full_name in error["message"] and "cap of 1" in error["message"]
    assert error["therapist"] == personas.other_therapist.pk
    session.refresh_from_db()
    assert session.therapist == personas.therapist


def test_staff_move_a_session_to_another_therapist_past_the_cap_with_a_reason(personas, other_capped, login):
    session = _first(other_capped)
    response = login(personas.front_desk, api=True).post(
        f"/api/appointments/{session.pk}/reschedule/",
        {
            "start": _same_time(session),
            "therapist": personas.other_therapist.pk,
            "cap_override_reason": "Covering while Theo is on leave",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()[0]["therapist"] == personas.other_therapist.pk
    session.refresh_from_db()
    assert (session.therapist, session.series) == (personas.other_therapist, other_capped)
    entry = AccessLog.objects.get(action="reduced_fee_cap_override", patient_id=personas.patient.pk)
    assert entry.detail == {
        "therapist_id": personas.other_therapist.pk,
        "cap": 1,
        "carried": 1,
        "reason": "Covering while Theo is on leave",
    }


def test_a_therapist_cannot_hand_their_session_to_another_therapist(personas, other_capped, login):
    session = _first(other_capped)
    response = login(personas.therapist, api=True).post(
        f"/api/appointments/{session.pk}/reschedule/",
        {"start": _same_time(session), "therapist": personas.other_therapist.pk, "cap_override_reason": "Please"},
        format="json",
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        scheduling.appointment_reschedule(
            appointment=session,
            actor=personas.therapist,
            start=session.start,
            therapist=personas.other_therapist,
            cap_override_reason="Please",
        )
    session.refresh_from_db()
    assert session.therapist == personas.therapist


def test_moving_the_following_sessions_to_another_therapist_keeps_the_override_on_the_new_series(
    personas, other_capped
):
    moved = scheduling.appointment_reschedule(
        appointment=_first(other_capped),
        actor=personas.front_desk,
        start=_first(other_capped).start,
        scope="following",
        therapist=personas.other_therapist,
        cap_override_reason="Theo's caseload moves to a colleague",
    )
    assert {a.therapist for a in moved} == {personas.other_therapist}
    successor = AppointmentSeries.objects.get(pk=moved[0].series_id)
    assert successor.therapist == personas.other_therapist
    assert successor.cap_override_reason == "Theo's caseload moves to a colleague"


def test_the_session_page_moves_a_session_to_another_therapist_through_the_same_check(personas, other_capped, login):
    from django.utils import timezone

    session = _first(other_capped)
    local = timezone.localtime(session.start, clock.clinic_tz())
    page = login(personas.front_desk)
    detail = page.get(f"/schedule/appointments/{session.pk}/").content.decode()
    assert 'name="therapist"' in detail and 'name="cap_override_reason"' in detail
    form = {
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "therapist": personas.other_therapist.pk,
        "scope": "this",
    }
    refused = page.post(f"/schedule/appointments/{session.pk}/reschedule/", form, follow=True)
    assert "cap of 1" in refused.content.decode()
    session.refresh_from_db()
    assert session.therapist == personas.therapist
    page.post(f"/schedule/appointments/{session.pk}/reschedule/", {**form, "cap_override_reason": "Covering a leave"})
    session.refresh_from_db()
    assert session.therapist == personas.other_therapist


def test_moving_the_rest_of_a_series_keeps_a_session_handed_to_a_colleague_with_them(personas, other_capped):
    first, second, _ = Appointment.objects.filter(series=other_capped).order_by("start")
    scheduling.appointment_reschedule(
        appointment=second,
        actor=personas.front_desk,
        start=second.start,
        therapist=personas.other_therapist,
        cap_override_reason="Covering one week",
    )
    moved = scheduling.appointment_reschedule(
        appointment=first, actor=personas.front_desk, start=first.start + dt.timedelta(hours=1), scope="following"
    )
    assert [a.therapist for a in moved] == [personas.therapist, personas.other_therapist, personas.therapist]
    assert AppointmentSeries.objects.get(pk=moved[0].series_id).therapist == personas.therapist


def test_moving_the_rest_of_a_series_with_its_therapist_keeps_its_cap_override(personas, capped):
    series = _open_ended_series(
        personas, capped, new_patient(**REDUCED), cap_override_reason="Continuity of care", occurrence_count=3
    )
    second = Appointment.objects.filter(series=series).order_by("start")[1]
    moved = scheduling.appointment_reschedule(
        appointment=second, actor=personas.front_desk, start=second.start + dt.timedelta(hours=2), scope="following"
    )
    assert AppointmentSeries.objects.get(pk=moved[0].series_id).cap_override_reason == "Continuity of care"


def test_a_cap_below_the_reduced_fee_patients_carried_now_is_refused_with_their_count(personas, capped):
    with pytest.raises(Conflict, match="carries 1 reduced-fee patient now") as caught:
        therapist_profile_change(actor=personas.admin, user=personas.therapist, reduced_fee_cap=0)
    assert "reduced_fee_cap" in caught.value.fields
    personas.therapist.therapist_profile.refresh_from_db()
    assert personas.therapist.therapist_profile.reduced_fee_cap == 1
    # At the count, or with no cap at all, the therapist keeps every patient they carry.
    therapist_profile_change(actor=personas.admin, user=personas.therapist, reduced_fee_cap=2)
    therapist_profile_change(actor=personas.admin, user=personas.therapist, reduced_fee_cap=1)
    therapist_profile_change(actor=personas.admin, user=personas.therapist, reduced_fee_cap=None)
    personas.therapist.therapist_profile.refresh_from_db()
    assert personas.therapist.therapist_profile.reduced_fee_cap is None


def test_a_cap_below_the_count_is_a_409_on_the_staff_page(personas, capped, login):
    body = {"discipline": "psychotherapy", "npi": personas.therapist.therapist_profile.npi, "reduced_fee_cap": "0"}
    response = login(personas.admin).post(f"/accounts/users/{personas.therapist.pk}/clinical-profile/", body)
    assert response.status_code == 409
    assert "carries 1 reduced-fee patient now" in response.content.decode()
    personas.therapist.therapist_profile.refresh_from_db()
    assert personas.therapist.therapist_profile.reduced_fee_cap == 1
