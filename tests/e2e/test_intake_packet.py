"""Complete a packet: the front desk sends the intake forms from the patient's page, the patient reads and signs
each on a phone (the questionnaire as a form), and the front desk sees them signed; axe on every page on the way."""

import pytest

from apps.intake.models import IntakeDocument, Signature
from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible, follow, session_start

pytestmark = pytest.mark.django_db(transaction=True)


def _answer_questionnaire(phone) -> None:
    phone.get_by_label("What brings you to the clinic?").fill("Back pain that moves around.")
    phone.get_by_label("Your pain today (0 = none, 10 = worst imaginable)").fill("6")
    phone.get_by_role("group", name="Has a doctor examined you for these symptoms?").get_by_label("Yes").check()
    phone.get_by_role("group", name="Do you have thoughts of harming yourself?").get_by_label("No").check()


def test_the_patient_completes_the_packet_and_the_front_desk_sees_it_complete(new_page, personas):
    standard = list(IntakeDocument.objects.filter(in_standard_packet=True).order_by("position"))

    # The front desk sends the standard packet from the patient's page.
    desk = new_page(DESKTOP)
    session_start(desk, personas.front_desk, open_home=False)
    desk.goto(f"/patients/{personas.patient.pk}/")
    card = desk.get_by_role("region", name="Intake forms")
    card.get_by_text("No intake forms sent yet.").wait_for()
    follow(desk, card.get_by_role("button", name="Send forms"))
    desk.get_by_text(f"Sent {len(standard)} forms to {personas.patient.display_name}.").wait_for()
    assert card.get_by_text("not signed yet").count() == len(standard)
    assert_accessible(desk)
    desk.goto("/intake/")
    desk.get_by_role("link", name=personas.patient.display_name).wait_for()
    assert_accessible(desk)

    # The patient, on a phone, finds the forms on the portal's home page and signs each one.
    phone = new_page(PHONE)
    session_start(phone, personas.patient_user)
    follow(phone, phone.get_by_role("link", name="Complete your forms"))
    phone.get_by_role("heading", name="Your forms").wait_for()
    assert_accessible(phone)
    for document in standard:
        follow(phone, phone.get_by_role("region", name="To sign").get_by_role("link", name=document.title))
        phone.get_by_role("heading", name=document.title, exact=True).wait_for()
        if document.is_questionnaire:
            # Signing with nothing answered says what is missing and signs nothing.
            phone.get_by_label("Type your full name to sign").fill("Pat Ient")
            follow(phone, phone.get_by_role("button", name="Sign"))
            phone.get_by_text("Some answers need attention").wait_for()
            phone.get_by_role("link", name="Go to the first answer to fix").wait_for()
            assert_accessible(phone)
            _answer_questionnaire(phone)
        phone.get_by_label("Type your full name to sign").fill("Pat Ient")
        follow(phone, phone.get_by_role("button", name="Sign"))
        phone.get_by_text(f"Signed: {document.title}.").wait_for()
    phone.get_by_text("You have no forms to sign.").wait_for()
    assert Signature.objects.filter(patient=personas.patient).count() == len(standard)
    follow(phone, phone.get_by_role("link", name=f"view or print {standard[1].title}"))
    phone.get_by_role("button", name="Print").wait_for()
    assert_accessible(phone)

    # The front desk sees every form signed and what was signed, but not the questionnaire's answers: those are
    # the psychotherapist's to read.
    desk.goto(f"/patients/{personas.patient.pk}/")
    assert card.get_by_text("signed", exact=True).count() == len(standard)
    follow(desk, card.get_by_role("link", name=f"view {standard[0].title}"))
    desk.get_by_text("The answers are clinical: only the patient's psychotherapist reads them.").wait_for()
    assert desk.get_by_text("Back pain that moves around.").count() == 0
    assert_accessible(desk)
    desk.goto("/intake/")
    desk.get_by_text("Every patient has signed the forms they were sent.").wait_for()


def test_the_admin_document_pages_are_accessible_on_phone_and_desktop(new_page, personas):
    admin = new_page(PHONE)
    session_start(admin, personas.admin)
    questionnaire = IntakeDocument.objects.get(kind="questionnaire")
    for viewport in (PHONE, DESKTOP):
        admin.set_viewport_size(viewport)
        for path in ["/intake/documents/", f"/intake/documents/{questionnaire.pk}/"]:
            assert admin.goto(path).status == 200
            assert_accessible(admin)
