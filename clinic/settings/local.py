"""Developer machine: debug on, console email unless told otherwise."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
# Card payments walk the whole portal path against a local stand-in for the provider's checkout page.
CLINIC_PAYMENT_BACKEND = env("CLINIC_PAYMENT_BACKEND", "sandbox")
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
