"""One permission check for views and services: a refusal is the API's 403 with its message and a page's 403."""

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

from apps.core.errors import ApplicationError, PermissionDenied
from apps.core.permissions import DENIED, permission_require

pytestmark = pytest.mark.django_db


def test_a_holder_passes_and_anyone_else_is_refused_with_the_message(personas):
    permission_require(personas.therapist, "education.manage_library")
    with pytest.raises(PermissionDenied) as refused:
        permission_require(
            personas.patient_user, "education.manage_library", message="Only admins and therapists keep the library."
        )
    assert refused.value.message == "Only admins and therapists keep the library." and refused.value.status == 403
    with pytest.raises(PermissionDenied) as nobody:
        permission_require(None, "education.manage_library")
    assert nobody.value.message == DENIED


def test_the_refusal_is_both_the_applications_error_and_djangos():
    refusal = PermissionDenied(DENIED)
    assert isinstance(refusal, ApplicationError) and isinstance(refusal, DjangoPermissionDenied)


def test_a_page_refused_through_the_same_check_answers_with_the_403_page(personas, login):
    # The staff billing page checks billing's permission through the same function.
    response = login(personas.patient_user).get("/billing/")
    assert response.status_code in (302, 403)
    staff = login(personas.therapist).get("/billing/")
    assert staff.status_code == 403 and "not available to you" in staff.content.decode()
