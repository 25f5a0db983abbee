"""An email that links to the portal tells a patient without a portal account how to get one, read when it is sent."""

import uuid

import pytest
from django.core import mail

from apps.accounts.models import User
from apps.core.models import ClinicSettings
from apps.notifications.delivery import message_send
from apps.notifications.outbox import patient_notice_enqueue
from apps.notifications.rendering import message_render
from apps.patients.services import patient_invite_to_portal
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NO_ACCOUNT = "you have no portal account yet"
# Every email whose link leads only into the portal (offers answer from their own signed links).
PORTAL_ONLY = [
    "education_shared",
    "good_faith_estimate",
    "intake_packet",
    "plan_instalment_overdue",
    "questionnaire_due",
    "reattestation_due",
    "release_renewal_due",
    "secure_message",
    "statement_ready",
]


def _statement_email(patient) -> str:
    [message] = patient_notice_enqueue(
        patient=patient,
        subject=patient,
        template="statement_ready",
        key=f"patient:{patient.pk}:statement:{uuid.uuid4()}",
        context={"period": "May 2026", "statement_url": "https://clinic.example/portal/billing/"},
        email_only=True,
    )
    mail.outbox.clear()
    assert message_send(message_id=message.pk) == "sent"
    [sent] = mail.outbox
    return sent.body + sent.alternatives[0][0]


def test_a_patient_who_signs_in_is_not_told_about_accounts(personas):
    assert NO_ACCOUNT not in _statement_email(personas.patient)


def test_a_patient_with_no_account_is_told_to_ask_for_an_invitation_in_both_parts(personas):
    clinic = ClinicSettings.load()
    clinic.phone = "(617) 555-0100"
    clinic.save()
    body = _statement_email(PatientFactory())
    assert body.count(NO_ACCOUNT) == 2 and "(617) 555-0100" in body


def test_an_invited_patient_is_told_until_they_accept_and_it_is_read_at_sending(personas):
    patient = PatientFactory()
    patient_invite_to_portal(actor=personas.front_desk, patient=patient)
    patient.refresh_from_db()
    assert NO_ACCOUNT in _statement_email(patient)
    user = User.objects.get(pk=patient.user_id)
    user.set_password("a long enough password 2026")
    user.is_active = True
    user.save()
    patient.refresh_from_db()
    assert NO_ACCOUNT not in _statement_email(patient)


def test_a_deactivated_account_is_no_way_into_the_portal(personas):
    User.objects.filter(pk=personas.patient_user.pk).update(is_active=False)
    personas.patient.refresh_from_db()
    assert NO_ACCOUNT in _statement_email(personas.patient)


@pytest.mark.parametrize("template", PORTAL_ONLY)
@pytest.mark.parametrize("channel_part", ["text", "html"])
def test_every_portal_only_email_says_it_when_needed(template, channel_part):
    def rendered(ready: bool) -> str:
        context = {"patient_first_name": "Pat", "portal_ready": ready, "count": 1}
        return getattr(message_render(template=template, context=context, channel="email"), channel_part)

    assert NO_ACCOUNT in rendered(False)
    assert NO_ACCOUNT not in rendered(True)


@pytest.mark.parametrize("template", ["seat_offer", "slot_offer"])
def test_an_offer_answers_from_its_links_without_asking_anyone_to_sign_in(template):
    context = {
        "patient_first_name": "Pat",
        "accept_url": "https://clinic.example/accept",
        "decline_url": "https://clinic.example/decline",
        "program_url": "https://clinic.example/portal/programs/1/",
    }
    for ready in (False, True):
        rendered = message_render(template=template, context={**context, "portal_ready": ready}, channel="email")
        for part in (rendered.text, rendered.html):
            assert "sign in" not in part and "https://clinic.example/accept" in part
            # The program's page is in the portal: linked only for someone who can open it.
            assert ("/portal/programs/1/" in part) == (ready and template == "seat_offer")
