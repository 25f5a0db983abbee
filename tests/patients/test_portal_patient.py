"""Every portal page finds its patient through patients.portal.portal_patient: the signed-in patient, or 403."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from apps.accounts.roles import Role
from apps.patients.portal import portal_patient
from tests.factories import PatientFactory, UserFactory

PORTAL_PAGES = ["portal:dashboard", "portal:sessions:list", "portal:billing:home", "portal:programs:list"]
PORTAL_PAGES += ["portal:questionnaires"]


def _request(user):
    request = RequestFactory().get("/portal/")
    request.user = user
    return request


def test_the_signed_in_patient_is_the_one_the_page_is_for(personas):
    assert portal_patient(_request(personas.patient_user), "billing.view_ledger") == personas.patient


@pytest.mark.parametrize("who", ["front_desk", "billing", "admin", "therapist"])
def test_staff_are_refused_even_where_the_perm_is_theirs(personas, who):
    with pytest.raises(PermissionDenied):
        portal_patient(_request(getattr(personas, who)), "billing.view_ledger")


@pytest.mark.django_db
def test_a_staff_account_linked_to_a_patient_record_is_no_portal_patient():
    """Billing may read every ledger, but the portal is for a patient's own account: without the patient role,
    a linked record does not make the portal theirs."""
    billing = UserFactory(roles=[Role.BILLING])
    PatientFactory(user=billing)
    with pytest.raises(PermissionDenied):
        portal_patient(_request(billing), "billing.view_ledger")


@pytest.mark.django_db
def test_a_superuser_without_a_patient_record_is_refused():
    with pytest.raises(PermissionDenied):
        portal_patient(_request(UserFactory(is_superuser=True)), "portal.use_portal")


@pytest.mark.parametrize("page", PORTAL_PAGES)
def test_each_portal_area_answers_403_to_staff_and_200_to_the_patient(personas, login, page):
    assert login(personas.front_desk).get(reverse(page)).status_code == 403
    assert login(personas.patient_user).get(reverse(page)).status_code == 200
