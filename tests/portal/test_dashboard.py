"""The portal home: one page with what needs the patient's attention, and the menu to everything else."""

import pytest

from apps.accounts.navigation import PORTAL_NAV
from apps.programs.services.seats import enrollment_withdraw, program_enroll

pytestmark = pytest.mark.django_db


def test_the_home_page_greets_the_patient_and_links_every_portal_area(personas, login):
    client = login(personas.patient_user)

    response = client.get("/portal/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Hello, Pat" in body
    for label in ("Your next session", "Billing", "Questionnaires and journal", "Your details"):
        assert label in body
    for item in PORTAL_NAV:
        assert f">{item.label}</a>" in body


def test_the_home_page_stays_within_a_fixed_number_of_queries(personas, login, django_assert_num_queries):
    client = login(personas.patient_user)

    # Whether the menu's *Book* leads anywhere (no intake on record, or a first session to move) is asked in the
    # menu's one count query, with the unread messages; the balance, the questionnaires waiting and the two-step
    # offer in one query on the patient's row.
    with django_assert_num_queries(12):
        assert client.get("/portal/").status_code == 200


@pytest.mark.parametrize("persona", ["front_desk", "therapist", "billing", "admin"])
def test_staff_have_no_portal_home(personas, login, persona):
    assert login(getattr(personas, persona)).get("/portal/").status_code == 403


def test_a_patient_is_sent_from_the_site_root_to_their_portal(personas, login):
    response = login(personas.patient_user).get("/")

    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_every_portal_page_points_to_the_clinic_and_the_crisis_line(personas, login):
    from apps.core.models import ClinicSettings

    ClinicSettings.objects.update_or_create(id=1, defaults={"phone": "(617) 555-0100", "email": "hello@clinic.test"})
    client = login(personas.patient_user)

    for path in ("/portal/", "/portal/settings/"):
        body = client.get(path).content.decode()
        assert 'href="/portal/contact/"' in body
        assert 'href="tel:988"' in body
    contact = client.get("/portal/contact/").content.decode()
    assert "(617) 555-0100" in contact and "hello@clinic.test" in contact


def test_page_views_do_not_look_up_authenticators_the_sign_in_already_checked(personas, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(personas.patient_user)

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/portal/sessions/").status_code == 200

    assert not [q["sql"] for q in captured.captured_queries if "otp_totp_totpdevice" in q["sql"]]


def _seat_offered_to(personas):
    from tests.programs.factories import scheduled_program

    program = scheduled_program(actor=personas.admin, capacity=1, title="TMS recovery group")
    seat = program_enroll(actor=personas.other_patient_user, program=program, patient=personas.other_patient)
    program_enroll(actor=personas.patient_user, program=program, patient=personas.patient)
    enrollment_withdraw(actor=personas.other_patient_user, enrollment=seat)
    return program


def test_a_held_seat_is_at_the_top_of_the_home_page_with_its_deadline(personas, login):
    program = _seat_offered_to(personas)
    client = login(personas.patient_user)

    body = client.get("/portal/").content.decode()

    assert "Waiting for your answer" in body
    assert body.index("Waiting for your answer") < body.index("Your next session")
    assert "A seat in TMS recovery group" in body
    assert f'href="/portal/programs/{program.pk}/"' in body


def test_an_offer_past_its_deadline_is_no_longer_shown(personas, login):
    import datetime as dt

    import time_machine

    from apps.core import clock

    _seat_offered_to(personas)

    with time_machine.travel(clock.now() + dt.timedelta(days=3)):
        client = login(personas.patient_user)  # a fresh sign-in: the old session timed out meanwhile
        response = client.get("/portal/")

    assert response.status_code == 200
    assert "Waiting for your answer" not in response.content.decode()


def test_nothing_waiting_means_no_offers_card(personas, login):
    assert "Waiting for your answer" not in login(personas.patient_user).get("/portal/").content.decode()


PORTAL_OWN_PAGES = [
    ("get", "/portal/"),
    ("get", "/portal/contact/"),
    ("get", "/portal/settings/"),
    ("post", "/portal/settings/contact/"),
    ("post", "/portal/settings/reminders/"),
    ("post", "/portal/settings/stop-texts/"),
    ("get", "/portal/settings/two-step/"),
    ("post", "/portal/settings/two-step/off/"),
    ("post", "/portal/two-step/not-now/"),
]


@pytest.mark.parametrize(("method", "path"), PORTAL_OWN_PAGES)
def test_only_a_patient_with_a_chart_uses_the_portal(personas, login, method, path):
    from apps.accounts.roles import Role
    from tests.factories import UserFactory

    chartless = UserFactory(email="no.chart@example.test", roles=[Role.PATIENT])

    for user in (personas.front_desk, personas.therapist, personas.billing, personas.admin, chartless):
        assert getattr(login(user), method)(path).status_code == 403, (user, path)
    assert getattr(login(personas.patient_user), method)(path).status_code in (200, 302, 422)
