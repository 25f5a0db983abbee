"""Test run: real Postgres and Redis, fast password hashing, no external sends."""

from .base import *  # noqa: F403

DEBUG = False
CLINIC_DEMO = True  # the suite seeds the demo clinic, as `make run` and the compose demo do
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; production uses Argon2
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = "clinic-test"  # noqa: F405
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
CLINIC_PRIVATE_ROOT = BASE_DIR / ".test-private"  # noqa: F405
STORAGES["private"] = {**STORAGES["private"], "OPTIONS": {"location": CLINIC_PRIVATE_ROOT}}  # noqa: F405
CLINIC_ACCEPT_PUBLISHED_WEBHOOK_SECRET = True  # the tests sign their events with published secrets
