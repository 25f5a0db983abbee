"""What the race tests are built from: transactions started together (`at_once`), or two in a fixed order for a
check and a write taken one after the other. Each needs a test marked `django_db(transaction=True)`, so the other
connection sees what is committed."""

import threading
from collections.abc import Callable

from django.db import connection, transaction

# Waits, on the database's own clock, until some statement is waiting on a lock `pid` holds (at most 30 s). The
# suite also runs with the process clock shifted (libfaketime), under which a timed wait in Python never ends, so
# nothing here waits on a timeout: the database says when the other side is blocked.
_UNTIL_WAITED_ON = """
DO $$ BEGIN
  FOR attempt IN 1..600 LOOP
    EXIT WHEN EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND {pid} = ANY(pg_blocking_pids(pid)));
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$
"""


def _until_waited_on(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_UNTIL_WAITED_ON.format(pid=int(pid)))


def at_once(*actions: Callable[[], object]) -> list[object]:
    """Run each action in a thread of its own, all released together, and answer what each returned or the exception
    it raised, in order. Neither the release nor the join waits on a timeout (see above)."""
    released = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            released.wait()
            outcomes[index] = action()
        except Exception as exc:  # refusals and unexpected errors alike are kept for the caller's assertions
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


class HeldElsewhere:
    """`change` run in a connection of its own, its transaction held open (its locks with it) until `release()`
    or, with `release_soon()`, until the caller's own statement is waiting on its locks."""

    def __init__(self, change: Callable[[], None]):
        self.committed = threading.Event()
        self._held, self._release = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, args=(change,))
        self._thread.start()
        assert self._held.wait(timeout=30), "the other transaction did not take its locks"

    def _run(self, change: Callable[[], None]) -> None:
        try:
            with transaction.atomic():
                self._pid = connection.connection.info.backend_pid
                change()
                self._held.set()
                self._release.wait(timeout=30)
            self.committed.set()
        finally:
            connection.close()

    def release_soon(self) -> None:
        """Let go once another statement waits on this transaction's locks (the caller's, about to run)."""

        def release_when_waited_on():
            try:
                _until_waited_on(self._pid)
            finally:
                self._release.set()
                connection.close()

        threading.Thread(target=release_when_waited_on).start()

    def release(self) -> None:
        self._release.set()
        self._thread.join(timeout=30)

    def join(self) -> None:
        self._thread.join(timeout=30)


def waits_for_own_transaction(other: Callable[[], None], own: Callable[[], None]) -> None:
    """Run `own` in a transaction, start `other` in a connection of its own while it is open, and assert `other`
    waits for it to commit; then let it finish."""

    def run():
        try:
            other()
        finally:
            connection.close()

    with transaction.atomic():
        own()
        thread = threading.Thread(target=run)
        thread.start()
        _until_waited_on(connection.connection.info.backend_pid)
        assert thread.is_alive(), "the other transaction should wait for this one to commit"
    thread.join(timeout=30)


def waiting_on_own_transaction(other: Callable[[], object]) -> Callable[[], object]:
    """Start `other` in a connection of its own and return once it waits on a lock the caller's open transaction
    holds. The function returned joins it (call it after committing) and answers what `other` returned or raised."""
    outcome: list[object] = []

    def run():
        try:
            outcome.append(other())
        except Exception as exc:  # kept for the caller's assertions, a deadlock included
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    _until_waited_on(connection.connection.info.backend_pid)

    def finish() -> object:
        thread.join(timeout=30)
        assert outcome, "the other transaction did not finish"
        return outcome[0]

    return finish
