"""A registrant's press refused on the public pages answers as every refused form does: the same page (the cancel
page, the seat offer's page) comes back with a summary at its top saying what was not done and why, 409 for a
registration or an offer answered meanwhile, the registration as it now stands, and nothing written."""

import pytest

from apps.audit.models import AccessLog
from apps.notifications.models import Message
from apps.programs.models import EnrollmentStatus, EnrollmentTransition
from apps.programs.registration_links import registration_token_make
from apps.programs.services.seats import enrollment_withdraw

from .test_public_lectures import lecture, register

pytestmark = pytest.mark.django_db

SUMMARY = 'id="error-summary"'


def _refused(response, status: int, said: str) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert SUMMARY in html and said in html
    return html


def _written() -> tuple[int, int, int]:
    return EnrollmentTransition.objects.count(), Message.objects.count(), AccessLog.objects.count()


def _offer_paths() -> dict[str, str]:
    """The accept and decline links of the one seat offer sent, as paths."""
    context = Message.objects.get(template="lecture_seat_offer").context
    return {
        action: context[f"{action}_url"][context[f"{action}_url"].index("/lectures/") :]
        for action in ("accept", "decline")
    }


@pytest.fixture
def offered():
    """Capacity 1: the first registrant left, so the seat is offered to the second."""
    program = lecture(capacity=1)
    seated = register(program)
    waiting = register(program, name="Sam Visitor", email="sam@example.test")
    enrollment_withdraw(actor=None, enrollment=seated)
    waiting.refresh_from_db()
    assert waiting.status == EnrollmentStatus.OFFERED
    return waiting


def test_cancelling_a_registration_cancelled_meanwhile_is_a_conflict_on_the_cancel_page(client):
    program = lecture(capacity=2)
    enrollment = register(program)
    cancel = f"/lectures/registration/{registration_token_make(enrollment.pk)}/cancel/"
    assert "Yes, cancel my registration" in client.get(cancel).content.decode()
    enrollment_withdraw(actor=None, enrollment=enrollment)  # at the desk, or from another tab
    before = _written()

    html = _refused(
        client.post(cancel), 409, "Your registration was not cancelled. This enrollment is already withdrawn."
    )

    assert "This registration is withdrawn: there is nothing left to cancel." in html
    assert "Yes, cancel my registration" not in html  # no button to press again for the same refusal
    assert _written() == before


def test_accepting_an_offer_declined_meanwhile_is_a_conflict_on_the_offer_page(client, offered):
    paths = _offer_paths()
    assert client.post(paths["decline"]).status_code == 302
    before = _written()

    response = client.post(paths["accept"])

    html = _refused(response, 409, "The seat was not taken. There is no open seat offer: the enrollment is Declined.")
    assert response.context["action"] == "accept" and "This offer is no longer open." in html
    assert "Accept the seat" not in html
    offered.refresh_from_db()
    assert offered.status == EnrollmentStatus.DECLINED
    assert _written() == before


def test_declining_an_offer_accepted_meanwhile_is_a_conflict_and_the_seat_stays_taken(client, offered):
    paths = _offer_paths()
    assert client.post(paths["accept"]).status_code == 302
    before = _written()

    html = _refused(client.post(paths["decline"]), 409, "The seat was not declined. There is no open seat offer")

    assert "Your registration is enrolled." in html
    offered.refresh_from_db()
    assert offered.status == EnrollmentStatus.ENROLLED
    assert _written() == before
