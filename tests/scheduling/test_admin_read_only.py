"""The Django admin lists and shows what the clinic's own pages change through their services, and changes none of
it: a patient's chart, service types, locations, rooms, working hours and time off."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from apps.patients.models import Patient
from apps.scheduling.models import Location, Room, ServiceType, TimeOff, WorkingHours

MODELS = [Patient, ServiceType, Location, Room, WorkingHours, TimeOff]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_django_admin_adds_changes_and_deletes_none_of_it(personas, superuser_admin, model):
    request = RequestFactory().get("/admin/")
    request.user = personas.admin
    model_admin = admin.site._registry[model]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    meta = model._meta
    assert superuser_admin.get(f"/admin/{meta.app_label}/{meta.model_name}/add/").status_code == 403
    assert superuser_admin.get(f"/admin/{meta.app_label}/{meta.model_name}/").status_code == 200


def test_the_django_admins_patient_list_names_nobody(personas, superuser_admin):
    page = superuser_admin.get("/admin/patients/patient/").content.decode()
    assert personas.patient.chart_number in page
    assert personas.patient.legal_last_name not in page
    page = superuser_admin.get("/admin/patients/patient/", {"q": personas.patient.legal_last_name}).content.decode()
    assert personas.patient.chart_number not in page
    page = superuser_admin.get(f"/admin/patients/patient/{personas.patient.pk}/change/").content.decode()
    assert 'name="legal_last_name"' not in page and personas.patient.legal_last_name in page
