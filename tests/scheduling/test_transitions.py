"""Every status change of a session (and each move) is written as a transition row, with who did it, in the
transaction that made it; the reactions to it ran in that transaction too."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AccessLog
from apps.billing.models import Charge
from apps.core.errors import InvalidTransition
from apps.core.models import TransitionHandled
from apps.scheduling import services
from apps.scheduling.models import AppointmentStatus, AppointmentTransition

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def _history(appointment) -> list[tuple]:
    return list(
        AppointmentTransition.objects.filter(appointment=appointment)
        .order_by("pk")
        .values_list("from_status", "to_status", "actor_id", "reason", "ends_series")
    )


def _reactions(transition) -> set[str]:
    return set(
        TransitionHandled.objects.filter(
            transition_type="scheduling.appointmenttransition", transition_id=transition.pk
        ).values_list("reaction", flat=True)
    )


def test_booking_writes_new_to_booked_with_the_booker_and_queues_the_reminders(clinic, session):
    assert _history(session) == [("", "booked", clinic.front_desk.pk, "", False)]
    [booked] = session.transitions.all()
    # Billing's, intake's and programs' reactions look at every booking (an estimate only for an intake session or a
    # new series, a packet only for a new series' first date, a group meeting's reminders only when it moves); the
    # booking gives its patient a treating therapist, which the apps above are told once it commits.
    assert _reactions(booked) == {
        "scheduling.reminders_queue",
        "scheduling.treating_changed",
        "billing.estimate_on_booking",
        "intake.packet_on_new_series",
        "programs.meeting_changed",
    }


def test_check_in_and_completion_record_who_and_the_charge_is_billings_reaction(clinic, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 10, 5))
    services.appointment_check_in(appointment=session, actor=clinic.front_desk)
    services.appointment_complete(appointment=session, actor=clinic.therapist)
    services.appointment_complete(appointment=session, actor=clinic.therapist)  # a repeat writes nothing
    assert _history(session)[1:] == [
        ("booked", "checked_in", clinic.front_desk.pk, "", False),
        ("checked_in", "completed", clinic.therapist.pk, "", False),
    ]
    completed = session.transitions.get(to_status="completed")
    assert _reactions(completed) == {"billing.charge_session_outcome"}


def test_a_late_cancellation_records_the_patient_and_their_reason(clinic, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 9))
    services.appointment_cancel(appointment=session, actor=clinic.patient_user, reason="  Flu  ")
    assert _history(session)[-1] == ("booked", "late_cancelled", clinic.patient_user.pk, "Flu", False)
    cancelled = session.transitions.get(to_status="late_cancelled")
    assert _reactions(cancelled) == {
        "scheduling.reminders_withdraw",
        "billing.charge_session_outcome",
        "waitlist.slot_offer_when_series_ends",
        "programs.meeting_changed",
    }


def test_a_no_show_records_who_marked_it(clinic, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 10, 30))
    services.appointment_no_show(appointment=session, actor=clinic.front_desk)
    assert _history(session)[-1] == ("booked", "no_show", clinic.front_desk.pk, "", False)


def test_a_move_is_booked_to_booked_saying_from_when(clinic, session):
    services.appointment_reschedule(appointment=session, actor=clinic.therapist, start=at(MONDAY, 14))
    assert _history(session)[-1] == ("booked", "booked", clinic.therapist.pk, "Moved from 2026-06-01 10:00.", False)


def test_a_refused_change_writes_no_transition(clinic, session):
    services.appointment_cancel(appointment=session, actor=clinic.front_desk)
    with pytest.raises(InvalidTransition):
        services.appointment_cancel(appointment=session, actor=clinic.front_desk)
    assert [row[1] for row in _history(session)] == ["booked", "cancelled"]


def test_a_series_writes_its_booked_transitions_and_their_handled_rows_in_one_insert_each(clinic):
    with CaptureQueriesContext(connection) as captured:
        booked = services.series_book(
            actor=clinic.front_desk,
            therapist=clinic.therapist,
            patient=clinic.patient,
            service_type=clinic.individual,
            first_date=MONDAY,
            local_start_time=dt.time(11, 0),
            occurrence_count=6,
        )
    rows = AppointmentTransition.objects.filter(appointment__series=booked.series)
    assert rows.count() == 6 and {r.actor_id for r in rows} == {clinic.front_desk.pk}
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert sum('"scheduling_appointmenttransition"' in sql for sql in inserts) == 1
    assert sum('"core_transitionhandled"' in sql for sql in inserts) == 1


def test_cancelling_the_rest_of_a_series_marks_only_the_first_as_ending_it(clinic):
    booked = services.series_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        first_date=MONDAY,
        local_start_time=dt.time(11, 0),
        occurrence_count=4,
    )
    services.series_cancel_following(appointment=booked.booked[1], actor=clinic.front_desk, reason="Done")
    ends = [
        AppointmentTransition.objects.get(appointment=a, to_status=AppointmentStatus.CANCELLED).ends_series
        for a in booked.booked[1:]
    ]
    assert ends == [True, False, False]
    assert not Charge.objects.exists()  # cancelled well ahead: nothing to charge


def test_changes_without_a_status_keep_who_made_them_in_the_audit_log(clinic):
    room = services.room_save(actor=clinic.admin, name="Birch", capacity=2)
    services.service_type_save(actor=clinic.admin, service_type=clinic.individual, name="Talk therapy")
    services.calendar_feed_revoke(actor=clinic.therapist, therapist=clinic.therapist)  # none to revoke: no row
    services.calendar_feed_issue(actor=clinic.therapist, therapist=clinic.therapist)
    services.calendar_feed_revoke(actor=clinic.therapist, therapist=clinic.therapist)
    rows = AccessLog.objects.filter(action__in=["room_save", "service_type_save", "calendar_feed_revoke"])
    assert sorted(rows.values_list("action", "actor_id", "subject_id")) == [
        ("calendar_feed_revoke", clinic.therapist.pk, str(clinic.therapist.pk)),
        ("room_save", clinic.admin.pk, str(room.pk)),
        ("service_type_save", clinic.admin.pk, str(clinic.individual.pk)),
    ]
