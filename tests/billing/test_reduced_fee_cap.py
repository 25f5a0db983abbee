"""A therapist's reduced-fee cap is enforced on every path that gives them a new patient: a single booking, a series
(page and API), accepting a slot offer and extending an open-ended series. Only current patients count; staff may
override with a reason, which is logged."""

import datetime as dt

import pytest
import time_machine

from apps.accounts.roles import Role
from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.errors import Conflict, PermissionDenied
from apps.programs import services as programs
from apps.programs.models import FreedSlot, SlotOffer
from apps.scheduling import services as scheduling
from apps.scheduling.models import Appointment, AppointmentSeries, WorkingHours
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
    assert response.status_code == 200
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
    programs.slot_request_create(
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
        programs.slot_offer_accept(actor=newcomer.user, offer=offer)
    offer.refresh_from_db()
    assert offer.status == "outstanding"
    assert FreedSlot.objects.get(pk=offer.slot_id).status != "taken"
    accepted = programs.slot_offer_accept(
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
