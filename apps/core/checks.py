"""Deploy checks (`manage.py check --deploy`): production never runs on a secret this repository published."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from clinic.published_secrets import PUBLISHED


def _configured(name: str) -> list[str]:
    value = getattr(settings, name, "")
    return list(value) if isinstance(value, list | tuple) else [value]


@register(Tags.security, deploy=True)
def published_secrets_check(app_configs, **kwargs) -> list[Error]:
    return [
        Error(
            f"{name} uses a value published in this repository.",
            hint="Generate a new secret (docker compose does it on first start) and set it in the environment.",
            id="clinic.E001",
        )
        for name, published in PUBLISHED.items()
        if any(value in published for value in _configured(name))
    ]


@register(Tags.security, deploy=True)
def demo_check(app_configs, **kwargs) -> list[Warning]:
    if not settings.CLINIC_DEMO:
        return []
    return [
        Warning(
            "CLINIC_DEMO is on: seed_demo may create the demo's accounts, whose passwords are published.",
            hint="Unset CLINIC_DEMO on a real clinic's servers; it is for the docker compose demonstration.",
            id="clinic.W001",
        )
    ]
