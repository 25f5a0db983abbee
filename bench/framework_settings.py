"""Production settings with the framework floor's empty routes in front of the clinic's (bench/framework.py)."""

from clinic.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.framework"
