"""An email longer than an address may be (254 characters, the columns' width) is refused on its field, with what
was typed kept, on every staff and patient form that takes one: never the 400 page that loses the input."""

import pytest

from apps.accounts.forms import ClinicSettingsForm, StaffDetailsForm, StaffInvitationForm
from apps.accounts.models import User
from apps.patients.forms import PatientForm
from apps.portal.forms import ContactDetailsForm
from apps.programs.models import GroupProgram, LectureFeeMode
from apps.programs.public_forms import LectureRegistrationForm

pytestmark = pytest.mark.django_db

TOO_LONG = "a" * 288 + "@example.test"  # 301 characters: a valid shape, past the 254 an address may have
STAFF_WORDS = "Ensure this value has at most 254 characters (it has 301)."


def test_inviting_with_a_too_long_email_is_refused_on_the_field_and_keeps_the_input(personas, login):
    response = login(personas.admin).post(
        "/accounts/users/", {"email": TOO_LONG, "first_name": "Nia", "last_name": "Vance", "role": "therapist"}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["email"] == ["Ensure this value has at most 254 characters (it has 301)."]
    assert TOO_LONG in response.content.decode() and 'value="Vance"' in response.content.decode()
    assert not User.objects.filter(last_name="Vance").exists()


def test_a_too_long_email_in_a_staff_members_details_is_refused_on_the_field(personas, login):
    member = personas.front_desk
    response = login(personas.admin).post(
        f"/accounts/users/{member.pk}/details/",
        {"first_name": member.first_name, "last_name": "Okafor", "email": TOO_LONG},
    )
    assert response.status_code == 422  # the staff page's answer to a section that does not parse
    assert "at most 254 characters" in response.content.decode() and 'value="Okafor"' in response.content.decode()
    member.refresh_from_db()
    assert member.last_name != "Okafor"


@pytest.mark.parametrize(
    ("make_form", "said"),
    [
        pytest.param(lambda data: StaffInvitationForm(data), STAFF_WORDS, id="staff invitation"),
        pytest.param(lambda data: StaffDetailsForm(data), STAFF_WORDS, id="staff details"),
        pytest.param(lambda data: ClinicSettingsForm(data), STAFF_WORDS, id="clinic settings"),
        pytest.param(lambda data: PatientForm(data), STAFF_WORDS, id="patient chart"),
        pytest.param(
            lambda data: ContactDetailsForm(data),
            "Shorten “Email for reminders and receipts” to 254 characters or fewer: it has 301, 47 too many.",
            id="portal contact details",
        ),
        pytest.param(
            lambda data: LectureRegistrationForm(data, program=GroupProgram(fee_mode=LectureFeeMode.DONATION)),
            "Shorten “Your email” to 254 characters or fewer: it has 301, 47 too many.",
            id="lecture registration",
        ),
    ],
)
def test_every_form_taking_an_email_refuses_one_longer_than_its_column(make_form, said):
    form = make_form({"email": TOO_LONG})
    assert not form.is_valid()
    assert said in form.errors["email"]
