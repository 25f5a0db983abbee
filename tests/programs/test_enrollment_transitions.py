"""Every status change of an enrollment is written as a transition row: who, from, to and why."""

import pytest

from apps.programs.models import EnrollmentTransition
from apps.programs.services import seats as services

pytestmark = pytest.mark.django_db


def _history(enrollment) -> list[tuple]:
    return list(
        EnrollmentTransition.objects.filter(enrollment=enrollment)
        .order_by("pk")
        .values_list("from_status", "to_status", "actor_id", "reason")
    )


def test_a_withdrawal_offers_the_seat_on_and_both_changes_name_who_made_them(program, make_patients, personas):
    patients = make_patients(4)
    seated, *_, waiting = [services.program_enroll(actor=p.user, program=program, patient=p) for p in patients]
    assert _history(seated) == [("", "enrolled", patients[0].user.pk, "")]
    assert _history(waiting) == [("", "waitlisted", patients[3].user.pk, "")]

    services.enrollment_withdraw(actor=personas.front_desk, enrollment=seated, reason="Moved away")
    assert _history(seated)[-1] == ("enrolled", "withdrawn", personas.front_desk.pk, "Moved away")
    # The seat freed by the front desk is offered to the first in line, in the same transaction.
    assert _history(waiting)[-1] == ("waitlisted", "offered", personas.front_desk.pk, "Seat offer 1.")

    waiting.refresh_from_db()
    services.enrollment_accept_offer(actor=patients[3].user, enrollment=waiting)
    assert _history(waiting)[-1] == ("offered", "enrolled", patients[3].user.pk, "")


def test_a_declined_offer_records_the_patient(program, make_patients):
    patients = make_patients(4)
    enrolled = [services.program_enroll(actor=p.user, program=program, patient=p) for p in patients]
    services.enrollment_withdraw(actor=patients[0].user, enrollment=enrolled[0])
    offered = enrolled[3]
    offered.refresh_from_db()
    services.enrollment_decline_offer(actor=patients[3].user, enrollment=offered)
    assert _history(offered)[-1] == ("offered", "declined", patients[3].user.pk, "Declined the seat offer.")
