"""Transitions and the reactions to them: how a status change in one app makes another app act.

A service that changes a record's status writes a transition row (apps.core.models.Transition) in its own
transaction and calls `transitions_record`. The apps above it registered reactions for (transition model,
to-status) in their AppConfig.ready(); they run inline, in the same transaction, so a completed session is
charged atomically with its completion and a refused reaction rolls the change back. Each reaction that ran
leaves a TransitionHandled row (unique per transition and reaction) in that transaction, which makes every
dispatch idempotent. The beat task `transitions_dispatch_pending` sweeps what is still unhandled (a reaction
registered later, a transition recorded with deferred dispatch, a worker killed mid-way), one transaction per
transition, in key order, and skips rows another worker has locked.

This module knows models only by their labels: core sits below every app and imports none of them.
"""

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from . import clock
from .models import ClinicSettings, Transition, TransitionHandled

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reaction:
    name: str  # stable: it is stored in TransitionHandled, so renaming one runs it again on the sweep's window
    model: str  # the transition model's label, lower case ("scheduling.appointmenttransition")
    statuses: frozenset[str]
    run: Callable[[Transition], object]
    # Optional: called once with all of a dispatch's due transitions instead of `run` for each, so a series'
    # twelve bookings can write their rows with one INSERT rather than twelve; also given the clinic's settings row
    # when the recording service has read it (else None, and it reads the row itself if it needs it).
    run_many: Callable[..., object] | None = None


_reactions: dict[str, list[Reaction]] = {}


def actor_or_none(actor):
    """The user a transition records: None for the system (beat) and for an anonymous request."""
    return actor if actor is not None and actor.is_authenticated else None


def reaction_register(
    *, model: str, to_status: str | Iterable[str], name: str, run: Callable, run_many: Callable | None = None
) -> Reaction:
    """React to every transition of `model` into `to_status` (one status or several) by calling `run(transition)`,
    or, when `run_many` is given, `run_many(transitions, clinic=…)` once with all the transitions a dispatch has for
    it (in key order; it must do for each what `run` does) and the settings row the recording service read, if any.

    Reactions of a model run in the order they were registered (INSTALLED_APPS order when registered in ready()):
    each runs for all of a dispatch's transitions before the next one starts."""
    label = model.lower()
    statuses = frozenset([to_status] if isinstance(to_status, str) else to_status)
    registered = _reactions.setdefault(label, [])
    if any(r.name == name for r in registered):
        raise ValueError(f"A reaction named {name!r} is already registered for {label}.")
    reaction = Reaction(name=name, model=label, statuses=statuses, run=run, run_many=run_many)
    registered.append(reaction)
    return reaction


def reaction_unregister(reaction: Reaction) -> None:
    _reactions[reaction.model].remove(reaction)


def _label(transition: Transition) -> str:
    return transition._meta.label_lower


def _run(transitions: list[Transition], done: set[tuple[int, str]], clinic: ClinicSettings | None = None) -> int:
    """Run each reaction in turn for the transitions (all of one model) still lacking it, in key order, and record
    each as handled (one INSERT)."""
    if not transitions:
        return 0
    ordered = sorted(transitions, key=lambda t: t.pk)
    handled = []
    for reaction in _reactions.get(_label(ordered[0]), ()):
        due = [t for t in ordered if t.to_status in reaction.statuses and (t.pk, reaction.name) not in done]
        if not due:
            continue
        if reaction.run_many is not None:
            reaction.run_many(due, clinic=clinic)
        else:
            for transition in due:
                reaction.run(transition)
        handled += [
            TransitionHandled(transition_type=reaction.model, transition_id=t.pk, reaction=reaction.name) for t in due
        ]
    TransitionHandled.objects.bulk_create(handled)
    return len(handled)


# No savepoint of its own: its callers are services whose transaction a refusing reaction rolls back whole, and a
# savepoint would cost two more statements on every status change.
@transaction.atomic(savepoint=False)
def transitions_record(
    transitions: list[Transition], *, dispatch: bool = True, clinic: ClinicSettings | None = None
) -> list[Transition]:
    """Write the transitions (all of one model) with one INSERT and, unless `dispatch` is False, run their
    reactions in this transaction. New rows have no handled reactions yet, so nothing is read first. `clinic` is
    the settings row when the caller has read it already: reactions that take many transitions get it."""
    if not transitions:
        return []
    created = type(transitions[0]).objects.bulk_create(transitions)
    if dispatch:
        _run(created, done=set(), clinic=clinic)
    return created


def transition_write(model: type[Transition], subject, *, actor, was: str, reason: str = "") -> Transition:
    """Record that `subject` (a row with a `status`) went from `was` to its current status, and run the reactions.
    `model` is the subject's transition model; its link to the subject is found by type."""
    [link] = [f.name for f in model._meta.concrete_fields if f.is_relation and f.related_model is type(subject)]
    row = model(actor=actor_or_none(actor), from_status=was, to_status=subject.status, reason=reason, **{link: subject})
    [row] = transitions_record([row])
    return row


@transaction.atomic
def transitions_dispatch(transitions: list[Transition]) -> int:
    """Run the reactions these transitions (all of one model) still lack; a second call is a no-op.

    The rows are locked first (key order), so a concurrent dispatch of the same transitions waits and then finds
    them handled. Returns how many reactions ran."""
    if not transitions:
        return 0
    model = type(transitions[0])
    locked = list(model.objects.select_for_update().filter(pk__in=[t.pk for t in transitions]).order_by("pk"))
    return _run(locked, done=_handled(model, [t.pk for t in locked]))


def _handled(model, ids: list[int]) -> set[tuple[int, str]]:
    return set(
        TransitionHandled.objects.filter(transition_type=model._meta.label_lower, transition_id__in=ids).values_list(
            "transition_id", "reaction"
        )
    )


def _pending(label: str, reactions: list[Reaction]):
    """Recent transitions lacking a reaction. Inline dispatch handles nearly all of them, so the sweep looks back
    only over its window (index on status and time): its cost stays flat however long the history grows."""
    model = apps.get_model(label)
    since = clock.now() - dt.timedelta(hours=settings.CLINIC_TRANSITION_SWEEP_WINDOW_HOURS)
    lacking = Q(pk__in=[])
    for reaction in reactions:
        done = TransitionHandled.objects.filter(
            transition_type=label, transition_id=OuterRef("pk"), reaction=reaction.name
        )
        lacking |= Q(to_status__in=reaction.statuses) & ~Exists(done)
    return model, model.objects.filter(lacking, at__gte=since).order_by("pk")


@transaction.atomic
def _dispatch_one(model, pk: int) -> int:
    # SKIP LOCKED: a transition another worker (or a service still in its transaction) holds is theirs to finish.
    transition = model.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
    if transition is None:
        return 0
    return _run([transition], done=_handled(model, [pk]))


def transitions_dispatch_pending(*, limit: int = 500) -> int:
    """Run every registered reaction a transition still lacks, oldest transition first, each transition in its
    own transaction. A reaction that fails leaves its transition for the next sweep (logged) and the sweep goes
    on. Returns how many reactions ran."""
    ran = 0
    for label, reactions in list(_reactions.items()):
        if not reactions:
            continue
        model, pending = _pending(label, reactions)
        for pk in list(pending.values_list("pk", flat=True)[:limit]):
            try:
                ran += _dispatch_one(model, pk)
            except Exception:
                logger.exception("Reactions to %s #%s failed; the next sweep retries them.", label, pk)
    return ran
