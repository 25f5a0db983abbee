"""Two completions of one session at the same moment (the front desk and the therapist, or a double click): the
second waits for the first and finds the session completed, as a repeat does, instead of refusing it."""

import threading
import time

import pytest
from django.db import connection, transaction

from apps.scheduling import services
from apps.scheduling.models import AppointmentStatus

from .conftest import MONDAY, at


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # a transaction otherwise sees its first reading only
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_completion_waiting_on_another_finds_the_session_completed(clinic, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 10, 50))
    first_completed = threading.Event()
    outcomes = {}

    def front_desk():
        try:
            with transaction.atomic():
                outcomes["front desk"] = services.appointment_complete(appointment=session, actor=clinic.front_desk)
                first_completed.set()
                # Commit only once the therapist's completion waits on this one's lock.
                deadline = time.monotonic() + 20
                while not (waited := _waiting_on_a_lock()) and time.monotonic() < deadline:
                    time.sleep(0.02)
                outcomes["therapist waited"] = bool(waited)
        except Exception as exc:
            outcomes["front desk"] = exc
        finally:
            first_completed.set()
            connection.close()

    def therapist():
        try:
            first_completed.wait(20)
            outcomes["therapist"] = services.appointment_complete(appointment=session, actor=clinic.therapist)
        except Exception as exc:
            outcomes["therapist"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=front_desk), threading.Thread(target=therapist)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Without the wait the therapist would only ever meet a committed completion, and the race would go untested.
    assert outcomes.pop("therapist waited") is True
    assert all(getattr(o, "status", None) == AppointmentStatus.COMPLETED for o in outcomes.values()), outcomes
    assert session.transitions.filter(to_status="completed").count() == 1
