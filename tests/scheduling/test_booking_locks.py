"""What a booking reads of its office, its provider's discipline, its service and its therapist's reduced-fee cap,
it reads under a lock the change to each waits for: a change and a booking at the same moment are taken one after the
other, and the second is refused, never both kept."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction

from apps.accounts.models import TherapistProfile, User
from apps.accounts.roles import Role
from apps.accounts.services import therapist_profile_change
from apps.billing.selectors.reduced_fee_cap import reduced_fee_patient_ids
from apps.core import clock
from apps.core.errors import Conflict, Unprocessable
from apps.core.models import ClinicSettings
from apps.patients.models import Patient
from apps.scheduling.locations import location_save
from apps.scheduling.models import Appointment, Location, ServiceType
from apps.scheduling.services import appointment_book, series_book, service_type_save
from tests.billing.conftest import fee_config, services_catalogue  # noqa: F401 (fixtures)
from tests.billing.helpers import approved_assessment, past_appointment
from tests.factories import PatientFactory, UserFactory
from tests.locking import HeldElsewhere

from .conftest import book, in_three_days

REDUCED = {"household_size": 2, "income": "20000"}


@pytest.fixture
def annex(db):
    Location.main()
    return Location.objects.create(name="Annex", time_zone=settings.TIME_ZONE)


def _book_at(personas, service_type, location):
    return appointment_book(
        actor=personas.front_desk,
        therapist=User.objects.get(pk=personas.therapist.pk),
        patient=Patient.objects.get(pk=personas.patient.pk),
        service_type=ServiceType.objects.get(pk=service_type.pk),
        start=in_three_days(),
        location=Location.objects.get(pk=location.pk),
        override_reason="Any hour the suite runs",
    )


@pytest.mark.django_db(transaction=True)
def test_an_office_closed_while_a_booking_there_is_in_flight_is_refused(personas, ready, annex):
    booking = HeldElsewhere(lambda: _book_at(personas, ready, annex))
    booking.release_soon()
    with pytest.raises(Conflict, match="1 coming session is booked at Annex"):
        location_save(actor=personas.admin, location=Location.objects.get(pk=annex.pk), is_active=False)
    assert Location.objects.get(pk=annex.pk).is_active


@pytest.mark.django_db(transaction=True)
def test_a_booking_at_an_office_being_closed_is_refused(personas, ready, annex):
    office = Location.objects.get(pk=annex.pk)  # read while open, as the booking form reads it
    closing = HeldElsewhere(lambda: location_save(actor=personas.admin, location=office, is_active=False))
    closing.release_soon()
    with pytest.raises(Unprocessable, match="This location is closed."):
        _book_at(personas, ready, office)
    closing.join()
    assert not Appointment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_discipline_change_of_a_provider_without_a_profile_waits_for_a_booking_in_flight(personas, ready):
    TherapistProfile.objects.filter(user=personas.therapist).delete()
    booking = HeldElsewhere(lambda: book(personas, ready, personas.patient, in_three_days()))
    booking.release_soon()
    with pytest.raises(Conflict):
        therapist_profile_change(
            actor=personas.admin, user=User.objects.get(pk=personas.therapist.pk), discipline="bodywork"
        )
    assert not TherapistProfile.objects.filter(user=personas.therapist, discipline="bodywork").exists()


@pytest.mark.django_db(transaction=True)
def test_a_service_made_another_discipline_waits_for_its_first_booking_in_flight(personas, ready):
    booking = HeldElsewhere(
        lambda: book(personas, ServiceType.objects.get(pk=ready.pk), personas.patient, in_three_days())
    )
    booking.release_soon()
    with pytest.raises(Conflict, match="Sessions are booked with this service"):
        service_type_save(
            actor=personas.admin, service_type=ServiceType.objects.get(pk=ready.pk), discipline="bodywork"
        )
    assert ServiceType.objects.get(pk=ready.pk).discipline == "psychotherapy"


@pytest.mark.django_db(transaction=True)
def test_two_new_reduced_fee_patients_booked_at_once_do_not_pass_the_cap_together(personas, ready, fee_config):  # noqa: F811
    profile = personas.therapist.therapist_profile
    profile.reduced_fee_cap = 2
    profile.save()
    approved_assessment(personas.patient, **REDUCED)
    past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=10)
    first, second = (PatientFactory(user=UserFactory(roles=[Role.PATIENT])) for _ in range(2))
    for patient in (first, second):
        approved_assessment(patient, **REDUCED)

    def book_new(patient, days):
        return book(
            personas, fee_config["90834"], Patient.objects.get(pk=patient.pk), in_three_days() + dt.timedelta(days=days)
        )

    booking = HeldElsewhere(lambda: book_new(first, 0))
    booking.release_soon()
    with pytest.raises(Conflict, match="their cap of 2"):
        book_new(second, 1)
    assert len(reduced_fee_patient_ids(therapist=personas.therapist, on=clock.local_now().date())) == 2


@pytest.mark.django_db(transaction=True)
def test_two_series_for_one_patient_booked_at_once_go_one_after_the_other(personas, ready):
    # With the intake packet sent on a new series, each booking locks the patient for the packet after writing its
    # sessions: the bookings must not each hold a share of the patient's row the other's packet waits for.
    clinic = ClinicSettings.load()
    clinic.intake_packet_on_series = True
    clinic.save()

    def series(hour):
        return series_book(
            actor=personas.front_desk,
            therapist=User.objects.get(pk=personas.therapist.pk),
            patient=Patient.objects.get(pk=personas.patient.pk),
            service_type=ServiceType.objects.get(pk=ready.pk),
            first_date=clock.local_now().date() + dt.timedelta(days=3),
            local_start_time=dt.time(hour),
            occurrence_count=4,
            override_reason="Any hour the suite runs",
        )

    first = HeldElsewhere(lambda: series(9))
    first.release_soon()
    series(14)  # waits for the first, then books: no deadlock
    first.join()
    assert Appointment.objects.filter(patient=personas.patient).count() == 8


@pytest.mark.django_db(transaction=True)
def test_a_booking_in_flight_holds_its_patient_so_a_second_cannot_share_it(personas, ready):
    booking = HeldElsewhere(lambda: book(personas, ready, Patient.objects.get(pk=personas.patient.pk), in_three_days()))
    try:
        with (
            pytest.raises(OperationalError, match="could not obtain lock"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT 1 FROM patients_patient WHERE id = %s FOR SHARE NOWAIT", [personas.patient.pk])
    finally:
        booking.release()
