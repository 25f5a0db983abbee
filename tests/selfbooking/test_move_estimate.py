"""Moving a session quotes the Good Faith Estimate that covers the session's new date and service (as the move
decides whether to issue one), never merely the newest estimate still running."""

import datetime as dt
from decimal import Decimal
from urllib.parse import quote

import pytest

from apps.billing.models import EstimateReason, GoodFaithEstimate
from apps.billing.services.estimates import EstimatedService, gfe_issue, gfe_issue_on_request
from apps.selfbooking.services import self_booking_move

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def _series_estimate(booking, *, weeks: int = 5) -> GoodFaithEstimate:
    """The estimate of the patient's weekly sessions from MONDAY: $200 a session."""
    return gfe_issue(
        actor=booking.front_desk,
        patient=booking.patient,
        services=[EstimatedService(booking.individual.pk, booking.therapist.pk, weeks)],
        period_start=MONDAY,
        period_end=MONDAY + dt.timedelta(weeks=weeks - 1),
        reason=EstimateReason.SERIES_BOOKED,
        on=MONDAY,
    )


def _later_request(booking, frozen_now) -> GoodFaithEstimate:
    """Asked for afterwards: three sessions two to four months ahead, which do not include the moved session."""
    frozen_now.shift(dt.timedelta(minutes=5))
    return gfe_issue_on_request(
        actor=booking.patient_user,
        patient=booking.patient,
        service_type=booking.individual,
        therapist=booking.therapist,
        expected_count=3,
        period_start=MONDAY + dt.timedelta(days=60),
        period_end=MONDAY + dt.timedelta(days=120),
    )


def _confirm_page(booking, login, session, start: dt.datetime) -> str:
    url = f"/portal/book/move/{session.pk}/confirm/?start={quote(start.isoformat())}"
    return " ".join(login(booking.patient_user).get(url).content.decode().split())


def test_the_move_quotes_the_estimate_covering_the_new_date_not_the_newest(booking, login, session, frozen_now):
    series = _series_estimate(booking)
    requested = _later_request(booking, frozen_now)
    assert (series.total, requested.total) == (Decimal("1000.00"), Decimal("600.00"))
    page = _confirm_page(booking, login, session, at(MONDAY + dt.timedelta(days=1), 14))
    assert "Your current estimate totals $1000.00" in page
    assert "$600.00" not in page


def test_with_no_estimate_covering_the_new_date_the_move_says_one_is_issued_and_issues_it(
    booking, login, session, frozen_now
):
    _later_request(booking, frozen_now)
    start = at(MONDAY + dt.timedelta(days=1), 14)
    page = _confirm_page(booking, login, session, start)
    assert "$200.00 for this session; the estimate is sent to you when you confirm" in page
    self_booking_move(actor=booking.patient_user, appointment=session, start=start)
    moved = GoodFaithEstimate.objects.get(patient=booking.patient, reason=EstimateReason.SESSION_MOVED)
    assert (moved.period_start, moved.total) == (start.date(), Decimal("200.00"))


def test_a_move_within_the_covering_estimate_issues_none(booking, session, frozen_now):
    _series_estimate(booking)
    _later_request(booking, frozen_now)
    self_booking_move(actor=booking.patient_user, appointment=session, start=at(MONDAY + dt.timedelta(days=1), 14))
    assert not GoodFaithEstimate.objects.filter(reason=EstimateReason.SESSION_MOVED).exists()
