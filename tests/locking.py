"""Two transactions at once, in a fixed order: what the race tests of a check and a write taken one after the other
are built from. Each needs a test marked `django_db(transaction=True)`, so the other connection sees what is
committed."""

import threading
from collections.abc import Callable

from django.db import connection, transaction


class HeldElsewhere:
    """`change` run in a connection of its own, its transaction held open (its locks with it) until `release()`
    or, released later, after a short while: long enough for the caller's own statement to meet the locks."""

    def __init__(self, change: Callable[[], None]):
        self.committed = threading.Event()
        self._held, self._release = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, args=(change,))
        self._thread.start()
        assert self._held.wait(timeout=30), "the other transaction did not take its locks"

    def _run(self, change: Callable[[], None]) -> None:
        try:
            with transaction.atomic():
                change()
                self._held.set()
                self._release.wait(timeout=30)
            self.committed.set()
        finally:
            connection.close()

    def release_soon(self, seconds: float = 0.3) -> None:
        threading.Timer(seconds, self._release.set).start()

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
        thread.join(timeout=1)
        assert thread.is_alive(), "the other transaction should wait for this one to commit"
    thread.join(timeout=30)
