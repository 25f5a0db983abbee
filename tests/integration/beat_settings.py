"""Settings for the processes the two-beat test starts: the clinic's, with one short periodic job instead of the
clinic's schedule."""

from clinic.settings.local import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {
    "beat-probe": {
        "task": "tests.integration.beat_probe.probe",
        "schedule": float(env("CLINIC_BEAT_PROBE_SECONDS", "2")),  # noqa: F405
    }
}
CELERY_IMPORTS = ["tests.integration.beat_probe"]
