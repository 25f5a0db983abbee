"""axe-core on every portal page at phone and desktop widths, and on the main staff pages: no serious or
critical violations (which include unlabelled form fields)."""

import re
from urllib.parse import urlsplit

import pytest

from apps.accounts.navigation import navigation_for
from apps.notifications.links import appointment_link_url
from apps.patients.services import patient_invite_to_portal
from apps.scheduling.models import WorkingHours
from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible, session_start
from tests.e2e.world import front_desk_day_world, portal_world
from tests.factories import PatientFactory
from tests.notes.conftest import signed_plan_for

pytestmark = pytest.mark.django_db(transaction=True)


def _check(page, paths) -> None:
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, f"{path} answered {response.status}"
        assert_accessible(page)


def test_every_portal_page_is_accessible_on_phone_and_desktop(page, personas, mailoutbox, accounts_worker):
    world = portal_world(personas)
    newcomer = PatientFactory(email="newcomer@example.test", user=None)
    patient_invite_to_portal(actor=personas.front_desk, patient=newcomer)
    accounts_worker.run()  # the worker emails the link
    # Reached without signing in: sign-in, the invitation link, the links in session reminders.
    public_pages = [
        "/accounts/login/",
        re.search(r"/accounts/invite/\S+/", mailoutbox[-1].body).group(0),
        *(urlsplit(appointment_link_url(appointment=world.upcoming, action=a)).path for a in ("confirm", "cancel")),
    ]
    portal_pages = [
        "/portal/",
        "/portal/sessions/",
        f"/portal/sessions/{world.upcoming.pk}/cancel/",
        "/portal/billing/",
        "/portal/billing/apply/",
        f"/portal/billing/receipts/{world.payment.pk}/",
        "/portal/programs/",
        f"/portal/programs/{world.open_program.pk}/",
        f"/portal/programs/{world.full_program.pk}/",
        "/portal/programs/slots/",
        "/portal/questionnaires/",
        f"/portal/questionnaires/{world.questionnaire.pk}/",
        "/portal/journal/",
        f"/portal/journal/{world.journal_entry.pk}/",
        "/portal/settings/",
        "/portal/settings/two-step/",
        "/portal/contact/",
        "/portal/records/",
    ]
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        _check(page, public_pages)
    session_start(page, personas.patient_user)
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        _check(page, portal_pages)


def test_main_staff_pages_are_accessible(page, new_page, personas):
    world = portal_world(personas)
    hours = WorkingHours.objects.filter(therapist=personas.therapist).first()
    plan = signed_plan_for(personas.therapist, personas.patient)
    front_desk_day_world(personas)  # the home page ("/", in every menu) with every section of the day filled
    pages = {
        personas.admin: [
            f"/patients/{personas.patient.pk}/",
            f"/programs/{world.full_program.pk}/",
            f"/accounts/users/{personas.front_desk.pk}/",
            f"/accounts/users/{personas.therapist.pk}/",
        ],
        personas.front_desk: [
            "/schedule/series/new/",
            "/schedule/appointments/new/",
            "/schedule/availability/",
            f"/schedule/availability/{personas.therapist.pk}/",
            f"/schedule/availability/hours/{hours.pk}/edit/",
            f"/schedule/availability/hours/{hours.pk}/delete/",
            f"/billing/patients/{personas.patient.pk}/",
        ],
        personas.therapist: [
            f"/schedule/appointments/{world.past.pk}/",
            f"/notes/sessions/{world.past.pk}/",
            f"/notes/patients/{personas.patient.pk}/chart/",
            f"/notes/plans/{plan.pk}/",
            f"/notes/patients/{personas.patient.pk}/plans/new/",
        ],
        personas.billing: ["/billing/assessments/", f"/billing/assessments/{world.assessment.pk}/"],
    }
    checked = set()
    for user, extra in pages.items():
        staff = new_page(DESKTOP)
        session_start(staff, user)
        # Each page once, seen by the first role that has it in its menu.
        paths = [path for path in [item["url"] for item in navigation_for(user)] + extra if path not in checked]
        _check(staff, paths)
        checked.update(paths)
    staff.set_viewport_size(PHONE)
    _check(staff, ["/", "/billing/"])
