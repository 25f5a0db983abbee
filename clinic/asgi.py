import os

from django.core.asgi import get_asgi_application

# What a server runs: without DJANGO_SETTINGS_MODULE it starts as production (refusing to run without its
# secrets) rather than with DEBUG on and the development key. `make run` and manage.py say local.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.production")
application = get_asgi_application()
