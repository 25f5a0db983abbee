import os

from celery import Celery

# What a server runs: without DJANGO_SETTINGS_MODULE it starts as production (refusing to run without its
# secrets) rather than with DEBUG on and the development key. `make run` and manage.py say local.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.production")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
