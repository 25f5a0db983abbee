"""Provider disciplines: a massage service is booked only with a massage and bodywork provider and psychotherapy
only with a psychotherapist, by the booking services (a clear 422) and by the database; an administrator sets a
provider's discipline, refused while it would strand their upcoming sessions."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from apps.accounts.disciplines import Discipline
from apps.accounts.services import therapist_profile_change
from apps.audit.models import AccessLog
from apps.core.errors import Conflict, Unprocessable
from apps.scheduling import services
from apps.scheduling.models import Appointment
from tests.factories import RoomFactory, ServiceTypeFactory, TherapistFactory

from .conftest import MONDAY, at, give_working_hours

pytestmark = pytest.mark.django_db


@pytest.fixture
def bodywork(clinic):
    masseuse = TherapistFactory(
        email="lena@example.test", first_name="Lena", last_name="Park", profile__discipline=Discipline.BODYWORK
    )
    give_working_hours(masseuse)
    massage = ServiceTypeFactory(
        code="RLX60", name="Relaxation massage, 60 min", duration_minutes=60, discipline=Discipline.BODYWORK
    )
    return masseuse, massage, RoomFactory(name="Lotus")


def test_a_massage_is_booked_with_a_massage_therapist(clinic, bodywork):
    masseuse, massage, lotus = bodywork
    appointment = services.appointment_book(
        actor=clinic.front_desk,
        therapist=masseuse,
        patient=clinic.patient,
        service_type=massage,
        start=at(MONDAY, 15),
        room=lotus,
    )
    assert appointment.end - appointment.start == dt.timedelta(minutes=60)


def test_a_massage_is_refused_with_a_psychotherapist_and_nothing_is_written(clinic, bodywork):
    _masseuse, massage, lotus = bodywork
    with pytest.raises(Unprocessable) as caught:
        services.appointment_book(
            actor=clinic.front_desk,
            therapist=clinic.therapist,
            patient=clinic.patient,
            service_type=massage,
            start=at(MONDAY, 15),
            room=lotus,
        )
    assert "Relaxation massage, 60 min is a massage and bodywork service" in caught.value.message
    assert "is a psychotherapy provider" in caught.value.message
    assert not Appointment.objects.exists()


def test_psychotherapy_is_refused_with_a_massage_therapist(clinic, bodywork):
    masseuse, _massage, lotus = bodywork
    with pytest.raises(Unprocessable) as caught:
        services.series_book(
            actor=clinic.front_desk,
            therapist=masseuse,
            patient=clinic.patient,
            service_type=clinic.individual,
            first_date=MONDAY,
            local_start_time=dt.time(15, 0),
            occurrence_count=4,
            room=lotus,
        )
    assert caught.value.fields == {"service_type": ["Needs a psychotherapy provider."]}
    assert not Appointment.objects.exists()


def test_moving_a_massage_to_a_psychotherapist_is_refused(clinic, bodywork):
    masseuse, massage, lotus = bodywork
    appointment = services.appointment_book(
        actor=clinic.front_desk,
        therapist=masseuse,
        patient=clinic.patient,
        service_type=massage,
        start=at(MONDAY, 15),
        room=lotus,
    )
    with pytest.raises(Unprocessable):
        services.appointment_reschedule(
            appointment=appointment, actor=clinic.front_desk, start=at(MONDAY, 16), therapist=clinic.therapist
        )
    appointment.refresh_from_db()
    assert appointment.therapist_id == masseuse.pk


def test_the_api_answers_422_with_the_reason(clinic, bodywork, login):
    _masseuse, massage, lotus = bodywork
    response = login(clinic.front_desk, api=True).post(
        "/api/appointments/",
        {
            "therapist": clinic.therapist.pk,
            "patient": clinic.patient.pk,
            "service_type": massage.pk,
            "room": lotus.pk,
            "start": at(MONDAY, 15).isoformat(),
        },
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert "massage and bodywork service" in error["message"]
    assert error["fields"]["service_type"] == ["Needs a massage and bodywork provider."]


def test_the_booking_page_shows_the_reason_on_the_form(clinic, bodywork, login):
    _masseuse, massage, lotus = bodywork
    response = login(clinic.front_desk).post(
        "/schedule/appointments/new/",
        {
            "therapist": clinic.therapist.pk,
            "patient": clinic.patient.pk,
            "service_type": massage.pk,
            "date": MONDAY.isoformat(),
            "time": "15:00",
            "room": lotus.pk,
        },
    )
    assert response.status_code in (200, 422)
    assert b"massage and bodywork service" in response.content
    assert not Appointment.objects.exists()


def test_the_database_refuses_a_session_with_a_provider_of_another_discipline(clinic, bodywork):
    masseuse, massage, _lotus = bodywork
    start = at(MONDAY, 15)
    refused = "bodywork service cannot be booked with a psychotherapy provider"
    with pytest.raises(IntegrityError, match=refused), transaction.atomic():
        Appointment.objects.create(
            therapist=clinic.therapist,
            patient=clinic.patient,
            service_type=massage,
            start=start,
            end=start + dt.timedelta(hours=1),
        )
    # A therapist without a profile row is a psychotherapist too.
    clinic.other_therapist.therapist_profile.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            therapist=clinic.other_therapist,
            patient=clinic.patient,
            service_type=massage,
            start=start,
            end=start + dt.timedelta(hours=1),
        )
    massage_session = Appointment.objects.create(
        therapist=masseuse, patient=clinic.patient, service_type=massage, start=start, end=start + dt.timedelta(hours=1)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=massage_session.pk).update(therapist=clinic.therapist)


def test_a_discipline_change_between_check_and_write_answers_a_conflict(clinic, bodywork):
    """The database's answer reaches the caller in the service's words, not as a server error."""
    masseuse, massage, lotus = bodywork
    stale = Appointment(
        therapist=masseuse,
        patient=clinic.patient,
        service_type=massage,
        room=lotus,
        start=at(MONDAY, 15),
        end=at(MONDAY, 16),
    )
    masseuse.therapist_profile.discipline = Discipline.PSYCHOTHERAPY
    masseuse.therapist_profile.save()
    with pytest.raises(Conflict, match="massage and bodywork service"):
        services._save_guarded([stale])


def test_an_administrator_changes_a_providers_discipline_and_it_is_audited(clinic):
    therapist_profile_change(actor=clinic.admin, user=clinic.other_therapist, discipline=Discipline.BODYWORK)
    clinic.other_therapist.therapist_profile.refresh_from_db()
    assert clinic.other_therapist.therapist_profile.discipline == Discipline.BODYWORK
    row = AccessLog.objects.get(action="therapist_profile_change")
    assert row.actor_id == clinic.admin.pk
    assert row.detail == {
        "therapist": clinic.other_therapist.pk,
        "before": {"discipline": "psychotherapy"},
        "after": {"discipline": "bodywork"},
    }


def test_a_discipline_change_is_refused_while_upcoming_sessions_need_the_old_one(clinic, session):
    with pytest.raises(Conflict, match="1 upcoming session"):
        therapist_profile_change(actor=clinic.admin, user=clinic.therapist, discipline="bodywork")
    clinic.therapist.therapist_profile.refresh_from_db()
    assert clinic.therapist.therapist_profile.discipline == Discipline.PSYCHOTHERAPY


def test_a_service_with_sessions_keeps_its_discipline(clinic, session):
    with pytest.raises(Conflict):
        services.service_type_save(actor=clinic.admin, service_type=clinic.individual, discipline="bodywork")
    clinic.individual.refresh_from_db()
    assert clinic.individual.discipline == Discipline.PSYCHOTHERAPY


@pytest.mark.parametrize(("who", "expected"), [("admin", 302), ("front_desk", 403)])
def test_only_an_administrator_sets_a_discipline_on_the_working_hours_page(clinic, login, who, expected):
    client = login(getattr(clinic, who))
    url = f"/schedule/availability/{clinic.other_therapist.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert b"<strong>psychotherapy</strong> provider" in page.content
    assert (b'name="discipline-discipline"' in page.content) is (who == "admin")
    response = client.post(url, {"kind": "discipline", "discipline-discipline": "bodywork"})
    assert response.status_code == expected
    clinic.other_therapist.therapist_profile.refresh_from_db()
    changed = clinic.other_therapist.therapist_profile.discipline == Discipline.BODYWORK
    assert changed is (who == "admin")


def test_the_page_shows_a_refused_discipline_change_on_the_form(clinic, login, session):
    response = login(clinic.admin).post(
        f"/schedule/availability/{clinic.therapist.pk}/", {"kind": "discipline", "discipline-discipline": "bodywork"}
    )
    assert response.status_code == 409
    assert b"upcoming session(s) of another discipline" in response.content


def test_therapist_lists_show_the_discipline(clinic, bodywork, login, django_assert_max_num_queries):
    client = login(clinic.admin)
    with django_assert_max_num_queries(9):
        page = client.get("/schedule/availability/")
    assert b"Massage and bodywork" in page.content
    users = client.get("/accounts/users/")
    assert b"Massage and bodywork" in users.content
    calendar = login(clinic.front_desk).get("/schedule/")
    assert b'Lena Park <span class="muted">(massage and bodywork)</span>' in calendar.content
    api = login(clinic.front_desk, api=True).get("/api/therapists/")
    disciplines = {row["email"]: row["discipline"] for row in api.json()["results"]}
    assert disciplines["lena@example.test"] == "bodywork"
    assert disciplines[clinic.therapist.email] == "psychotherapy"


def test_the_admin_lists_and_filters_providers_by_discipline(clinic, bodywork, login):
    clinic.admin.is_staff = clinic.admin.is_superuser = True
    clinic.admin.save()
    client = login(clinic.admin)
    page = client.get("/admin/accounts/therapistprofile/?discipline__exact=bodywork")
    assert page.status_code == 200
    assert b"Lena Park" in page.content
    assert clinic.therapist.full_name.encode() not in page.content
    assert b"Massage and bodywork" in page.content


def test_the_admin_refuses_a_discipline_change_that_would_strand_upcoming_sessions(clinic, session, login):
    clinic.admin.is_staff = clinic.admin.is_superuser = True
    clinic.admin.save()
    profile = clinic.therapist.therapist_profile
    url = f"/admin/accounts/therapistprofile/{profile.pk}/change/"
    form = {
        "user": clinic.therapist.pk,
        "discipline": "bodywork",
        "credentials": profile.credentials,
        "license_type": profile.license_type,
        "license_number": profile.license_number,
        "npi": profile.npi,
        "accepts_new_patients": "on",
    }
    response = login(clinic.admin).post(url, form)
    assert response.status_code == 200
    assert b"upcoming session(s) of another discipline" in response.content
    profile.refresh_from_db()
    assert profile.discipline == Discipline.PSYCHOTHERAPY
    services.appointment_cancel(appointment=session, actor=clinic.front_desk, reason="Moved on")
    assert login(clinic.admin).post(url, form).status_code == 302
    profile.refresh_from_db()
    assert profile.discipline == Discipline.BODYWORK
    log = AccessLog.objects.get(action="therapist_profile_change", actor=clinic.admin)
    assert log.detail["after"] == {"discipline": Discipline.BODYWORK}
