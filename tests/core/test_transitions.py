"""The transition dispatcher: reactions run once per transition, inline or from the sweep, even when two
dispatchers race for the same rows."""

import pytest
from django.db import DatabaseError, transaction

from apps.audit.models import AccessLog
from apps.audit.services import access_log_write
from apps.core.errors import Conflict
from apps.core.models import TransitionHandled
from apps.core.transitions import (
    reaction_register,
    reaction_unregister,
    transitions_dispatch,
    transitions_dispatch_pending,
    transitions_record,
)
from apps.scheduling.models import AppointmentStatus, AppointmentTransition
from tests.factories import AppointmentFactory
from tests.locking import at_once

MODEL = "scheduling.AppointmentTransition"
STATUS = AppointmentStatus.CHECKED_IN  # no app reacts to a check-in, so only the test's reactions run


def _probe(name: str):
    """A reaction whose every run leaves an access-log row in the dispatching transaction."""

    def run(transition):
        access_log_write(actor=None, action=f"probe:{name}", subject=transition)

    return run


def _runs(name: str, transition=None) -> int:
    rows = AccessLog.objects.filter(action=f"probe:{name}")
    if transition is not None:
        rows = rows.filter(subject_id=str(transition.pk))
    return rows.count()


@pytest.fixture
def reactions():
    """Register reactions for the test; they are removed afterwards."""
    registered = []

    def register(name: str, run=None, to_status=STATUS):
        registered.append(reaction_register(model=MODEL, to_status=to_status, name=name, run=run or _probe(name)))

    yield register
    for reaction in registered:
        reaction_unregister(reaction)


def _checked_in(count: int = 1) -> list[AppointmentTransition]:
    return [
        AppointmentTransition(appointment=AppointmentFactory(), from_status="booked", to_status=STATUS)
        for _ in range(count)
    ]


@pytest.mark.django_db
def test_a_recorded_transition_runs_its_reactions_once_however_often_it_is_dispatched(reactions):
    reactions("first")
    reactions("second")
    [transition] = transitions_record(_checked_in())
    assert _runs("first", transition) == _runs("second", transition) == 1

    assert transitions_dispatch([transition]) == 0
    assert transitions_dispatch_pending() == 0
    assert _runs("first") == _runs("second") == 1
    assert set(TransitionHandled.objects.values_list("reaction", flat=True)) == {"first", "second"}


@pytest.mark.django_db
def test_reactions_only_run_for_the_status_they_registered_for(reactions):
    reactions("on_check_in")
    transitions_record(
        [AppointmentTransition(appointment=AppointmentFactory(), from_status="", to_status="booked", reason="x")]
    )
    assert _runs("on_check_in") == 0


@pytest.mark.django_db
def test_a_deferred_transition_is_dispatched_by_the_sweep_once(reactions):
    reactions("late")
    transitions = transitions_record(_checked_in(3), dispatch=False)
    assert _runs("late") == 0

    assert transitions_dispatch_pending() == 3
    assert transitions_dispatch_pending() == 0
    assert [_runs("late", t) for t in transitions] == [1, 1, 1]


@pytest.mark.django_db
def test_a_reaction_registered_later_catches_up_without_rerunning_the_others(reactions):
    reactions("early")
    [transition] = transitions_record(_checked_in())
    reactions("added_later")

    assert transitions_dispatch_pending() == 1
    assert _runs("early", transition) == _runs("added_later", transition) == 1


@pytest.mark.django_db
def test_a_reaction_that_refuses_rolls_back_the_change_that_caused_it(reactions):
    def refuse(transition):
        raise Conflict("Refused by a reaction.")

    reactions("refuses", run=refuse)
    rows = _checked_in()
    with pytest.raises(Conflict), transaction.atomic():
        transitions_record(rows)
    assert not AppointmentTransition.objects.exists()
    assert not TransitionHandled.objects.exists()


@pytest.mark.django_db
def test_a_failing_reaction_in_the_sweep_is_retried_later_and_does_not_hold_up_the_others(reactions, caplog):
    failing = {"on": True}

    def flaky(transition):
        if failing["on"] and transition.pk == first.pk:
            raise RuntimeError("provider down")
        access_log_write(actor=None, action="probe:flaky", subject=transition)

    reactions("flaky", run=flaky)
    first, second = transitions_record(_checked_in(2), dispatch=False)

    assert transitions_dispatch_pending() == 1
    assert (_runs("flaky", first), _runs("flaky", second)) == (0, 1)
    assert "the next sweep retries them" in caplog.text

    failing["on"] = False
    assert transitions_dispatch_pending() == 1
    assert (_runs("flaky", first), _runs("flaky", second)) == (1, 1)


def test_a_reaction_name_is_registered_once(reactions):
    reactions("twice")
    with pytest.raises(ValueError, match="already registered"):
        reactions("twice")


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_run_each_reaction_exactly_once(reactions):
    reactions("racing")
    transitions = transitions_record(_checked_in(40), dispatch=False)

    ran = at_once(transitions_dispatch_pending, transitions_dispatch_pending)  # each answers how many reactions it ran

    assert sum(ran) == 40
    assert [_runs("racing", t) for t in transitions] == [1] * 40
    assert TransitionHandled.objects.filter(reaction="racing").count() == 40


@pytest.mark.django_db(transaction=True)
def test_two_dispatches_of_the_same_transitions_at_once_run_each_reaction_once(reactions):
    reactions("racing")
    transitions = transitions_record(_checked_in(10), dispatch=False)

    ran = at_once(*[lambda: transitions_dispatch(transitions)] * 2)

    assert sorted(ran) == [0, 10]
    assert [_runs("racing", t) for t in transitions] == [1] * 10


@pytest.mark.django_db
def test_a_transition_row_is_never_rewritten():
    [transition] = transitions_record(_checked_in(), dispatch=False)
    with pytest.raises(DatabaseError, match="Cannot update"), transaction.atomic():
        AppointmentTransition.objects.filter(pk=transition.pk).update(reason="rewritten")
