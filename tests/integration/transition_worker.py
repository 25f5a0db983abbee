"""The Celery app the killed-worker test starts: the clinic's own app and beat, plus three probe reactions to
check-ins (no app reacts to those). Each run of a probe writes an access-log row in the dispatching transaction;
`blocks` hangs on the transition named in the probe directory's `block_on` file until its worker is killed."""

import os
import time
from pathlib import Path

from celery.signals import worker_process_init

from clinic.celery import app

REACTIONS = ("probe.before", "probe.blocks", "probe.after")

__all__ = ["app"]


def _probe(name: str):
    def run(transition) -> None:
        from apps.audit.services import access_log_write

        access_log_write(actor=None, action=name, subject=transition)
        probe_dir = Path(os.environ["CLINIC_TRANSITION_PROBE_DIR"])
        block_on, started = probe_dir / "block_on", probe_dir / "blocked"
        if name == "probe.blocks" and block_on.read_text() == str(transition.pk) and not started.exists():
            started.write_text(str(os.getpid()))
            time.sleep(600)  # held mid-transaction until the test kills this worker

    return run


@worker_process_init.connect
def _register_probes(**kwargs) -> None:
    """In each pool process, after Django is set up (models can be imported)."""
    from apps.core.transitions import reaction_register

    for name in REACTIONS:
        reaction_register(model="scheduling.AppointmentTransition", to_status="checked_in", name=name, run=_probe(name))
