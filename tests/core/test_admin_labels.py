"""The Django admin labels each field and model as people write them: acronyms in capitals ("SMS consent at",
"Telehealth URL", "API tokens"), never as the field's name spells them ("Sms consent at")."""

import re

import pytest
from django.contrib import admin
from django.utils.text import capfirst

ACRONYMS = {"api", "gfe", "id", "ids", "ip", "mfa", "npi", "pdf", "sms", "url", "urls"}


def _miswritten(label: str) -> list[str]:
    return [word for word in re.findall(r"[A-Za-z]+", label) if word.lower() in ACRONYMS and not word.isupper()]


def _labels():
    for model in admin.site._registry:
        if not model.__module__.startswith("apps."):
            continue
        meta = model._meta
        yield meta.label, capfirst(meta.verbose_name)
        yield meta.label, capfirst(meta.verbose_name_plural)
        for field in meta.concrete_fields:
            yield f"{meta.label}.{field.name}", capfirst(field.verbose_name)


def test_the_admin_writes_acronyms_in_capitals():
    wrong = {where: label for where, label in _labels() if _miswritten(str(label))}
    assert wrong == {}


@pytest.mark.django_db
def test_a_patients_admin_page_says_sms_in_capitals(personas, superuser_admin):
    page = superuser_admin.get(f"/admin/patients/patient/{personas.patient.pk}/change/").content.decode()
    assert "SMS consent at" in page and "Sms consent at" not in page
