"""An admin edits a therapist's clinical profile on their staff page in a real browser: a refusal is told on its
field, and the saved profile is what the page then shows."""

from apps.accounts.models import TherapistProfile

from .conftest import follow, session_start


def test_an_admin_edits_a_therapists_clinical_profile(page, personas, shots):
    session_start(page, personas.admin, open_home=False)
    page.goto(f"/accounts/users/{personas.therapist.pk}/")
    profile = page.get_by_role("region", name="Clinical profile")
    profile.get_by_label("Credentials").fill("PhD, LICSW")
    profile.get_by_label("NPI").fill("12345")
    profile.get_by_label("Reduced-fee cap").fill("4")
    profile.get_by_label("Takes secure messages from their patients").check()
    follow(page, profile.get_by_role("button", name="Save clinical profile"))
    profile = page.get_by_role("region", name="Clinical profile")
    assert "Ten digits, or empty." in profile.inner_text()
    page.screenshot(path=shots / "clinical-profile-refused.png", full_page=True)

    profile.get_by_label("NPI").fill("1234567893")
    follow(page, profile.get_by_role("button", name="Save clinical profile"))
    assert "clinical profile is saved" in page.get_by_role("status").first.inner_text()
    page.screenshot(path=shots / "clinical-profile-saved.png", full_page=True)
    saved = TherapistProfile.objects.get(user=personas.therapist)
    assert (saved.credentials, saved.npi, saved.reduced_fee_cap, saved.accepts_patient_messages) == (
        "PhD, LICSW",
        "1234567893",
        4,
        True,
    )
    assert page.get_by_role("region", name="Clinical profile").get_by_label("Reduced-fee cap").input_value() == "4"
