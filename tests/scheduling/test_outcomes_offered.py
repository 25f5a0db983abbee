"""The session page offers only the outcomes that can be recorded now, by the checks their services make: check-in
on the session's day, completion and no-show once it has started; a session that ended with nothing recorded says
so. Each moment is set on a frozen clock, so the page reads the same at any hour the suite runs."""

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse

from apps.core.errors import ApplicationError
from apps.scheduling import services
from apps.scheduling.models import Appointment

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db

BUTTONS = {"check-in": "Check in</button>", "complete": "Complete…</button>", "no-show": "No-show…</button>"}
RECORD = {
    "check-in": services.appointment_check_in,
    "complete": services.appointment_complete,
    "no-show": services.appointment_no_show,
}


@pytest.mark.parametrize(
    ("now", "offered", "ended"),
    [
        (at(MONDAY, 9), {"check-in"}, False),  # the day of the session, before it starts
        (at(MONDAY, 10, 15), {"check-in", "complete", "no-show"}, False),  # under way
        (at(MONDAY, 11), {"complete", "no-show"}, True),  # ended, the same day: too late to check in
        (at(MONDAY + dt.timedelta(days=1), 9), {"complete", "no-show"}, True),  # the next day
    ],
)
def test_the_page_offers_what_the_services_accept_at_each_moment(
    clinic, session, login, frozen_now, now, offered, ended
):
    frozen_now.move_to(now)
    assert services.outcomes_open(session) == offered
    page = login(clinic.front_desk).get(reverse("scheduling:appointment_detail", args=[session.pk])).content.decode()
    assert {action for action, button in BUTTONS.items() if button in page} == offered
    assert ("This session has ended and nothing is recorded for it yet" in page) is ended
    for action in RECORD.keys() - offered:  # what the page leaves out, the service refuses
        with pytest.raises(ApplicationError):
            RECORD[action](appointment=Appointment.objects.get(pk=session.pk), actor=clinic.front_desk)
    for action in offered:  # and each thing it offers goes through
        with transaction.atomic():
            RECORD[action](appointment=Appointment.objects.get(pk=session.pk), actor=clinic.front_desk)
            transaction.set_rollback(True)


def test_a_session_next_week_offers_no_outcome_only_moving_or_cancelling(clinic, session, login):
    page = login(clinic.front_desk).get(reverse("scheduling:appointment_detail", args=[session.pk])).content.decode()
    assert not any(button in page for button in BUTTONS.values())
    assert "Reschedule</h2>" in page and "Cancel session…" in page


@pytest.mark.parametrize(("now", "offered"), [(at(MONDAY, 9), True), (at(MONDAY - dt.timedelta(days=1), 9), False)])
def test_my_day_offers_check_in_only_on_the_sessions_own_day(clinic, session, login, frozen_now, now, offered):
    """Browsing to Monday's list from the day before shows its sessions without a Check in the service would
    refuse."""
    frozen_now.move_to(now)
    page = login(clinic.therapist).get(reverse("scheduling:my_day"), {"date": MONDAY.isoformat()}).content.decode()
    assert clinic.patient.display_name in page
    assert ("Check in</button>" in page) is offered
