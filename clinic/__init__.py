from .celery import app as celery_app

# The one place the release number lives: pyproject.toml reads it; the API schema and the staff page footer show it.
# CHANGELOG.md has a section for each release.
__version__ = "1.0.0"

__all__ = ("__version__", "celery_app")
