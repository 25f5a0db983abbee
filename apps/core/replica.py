"""Reports and exports read from the streaming replica when there is one (DATABASES["replica"]).

Only code that says so reads from the replica: the report and export views are wrapped in `reads_from_replica`.
Everything else, and anything inside a transaction on the primary (a write, or a read that must see its own
writes), stays on the primary. A replica lags the primary by a moment, which a report can afford.
"""

import contextlib
import contextvars
import functools

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_replica_reads = contextvars.ContextVar("replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextlib.contextmanager
def replica_reads():
    """Inside the block, reads outside a transaction go to the replica (the primary when none is configured)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def reads_from_replica(view):
    """A view whose reads, template rendering included, come from the replica."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        with replica_reads():
            response = view(request, *args, **kwargs)
            # A template response renders after the view returns; render it while the block still holds.
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        return response

    return wrapped


class ReplicaRouter:
    """Sends a read to the replica only inside `replica_reads()` and outside any transaction on the primary."""

    def db_for_read(self, model, **hints):
        if _replica_reads.get() and replica_configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary: an object read there may be related to one from here.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, **hints):
        # A physical replica is read-only and copies the primary's schema by itself.
        return db != REPLICA
