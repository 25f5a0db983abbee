"""A form the patient has signed, opened again from its link (an email, Back): the page says when they signed it
and shows what they signed, never an empty form to fill in; only a newer version than the one signed asks again."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.core import clock
from apps.core.when import clock_text
from apps.intake.models import Signature
from apps.intake.services import document_publish

from .conftest import QUESTIONNAIRE_ANSWERS, sign

pytestmark = pytest.mark.django_db


def _on_clinic_clock(moment: dt.datetime) -> str:
    local = timezone.localtime(moment, clock.clinic_tz())
    return f"{local.strftime('%b %-d, %Y')} at {clock_text(local)} New York time"


def _sign_post(document, **overrides):
    version = document.current_version
    return {"version": version.pk, "shown_sha256": version.body_sha256, "typed_name": "Pat Ient", **overrides}


def test_a_signed_form_reopened_says_when_and_shows_what_was_signed(personas, login, sent, questionnaire):
    sign(personas, questionnaire)
    signature = Signature.objects.get()

    page = login(personas.patient_user).get(f"/portal/forms/{questionnaire.pk}/")

    body = page.content.decode()
    assert page.status_code == 200
    assert f"You signed this on {_on_clinic_clock(signature.signed_at)}." in body
    assert QUESTIONNAIRE_ANSWERS["reason"] in body  # the answers, read-only
    assert 'name="typed_name"' not in body and 'name="reason"' not in body  # no form to fill in again
    assert "updated version" not in body
    assert "data-print" in body  # the copy to print or keep


def test_a_newer_version_than_the_one_signed_asks_to_sign_the_update(personas, login, sent, consent):
    sign(personas, consent)
    document_publish(actor=personas.admin, document=consent, body="The updated consent.")

    body = login(personas.patient_user).get(f"/portal/forms/{consent.pk}/").content.decode()

    assert "You signed version 1 on" in body and "This is the updated version." in body
    assert "The updated consent." in body and 'name="typed_name"' in body


def test_signing_a_version_already_signed_answers_with_the_signed_form_and_says_so(
    personas, login, sent, questionnaire
):
    signature, _ = sign(personas, questionnaire)
    answers = {**QUESTIONNAIRE_ANSWERS, "reason": "Different words the second time.", "medical_evaluation": "yes"}

    response = login(personas.patient_user).post(
        f"/portal/forms/{questionnaire.pk}/", _sign_post(questionnaire, **answers)
    )

    body = response.content.decode()
    assert response.status_code == 409
    assert f"You had already signed this on {_on_clinic_clock(signature.signed_at)}" in body
    assert "Nothing new was saved" in body
    assert QUESTIONNAIRE_ANSWERS["reason"] in body and "Different words" not in body
    assert Signature.objects.get().answers["reason"] == QUESTIONNAIRE_ANSWERS["reason"]
