"""Admins edit a therapist's clinical profile on their staff page: discipline, credentials, licence, NPI, supervision,
reduced-fee cap, secure messages and online booking. Each change is in the access log with what it was and what it
became; the profile keeps its rules: a supervisor is another active, licensed therapist of the same discipline, and
a discipline never changes under the sessions booked with the therapist or the notes they have written, since it
decides which services they give and which notes they read."""

import datetime as dt

import pytest

from apps.accounts.disciplines import Discipline
from apps.accounts.forms import ClinicalProfileForm
from apps.accounts.models import TherapistProfile
from apps.accounts.roles import Role
from apps.accounts.services import therapist_profile_change
from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.errors import Conflict, Unprocessable
from apps.core.models import ClinicSettings
from apps.messaging.recipients import therapists_taking_messages
from apps.notes.services import note_create, process_note_create
from apps.scheduling.models import Appointment, AppointmentStatus
from tests.factories import AppointmentFactory, ServiceTypeFactory, TherapistFactory, appointment_ahead

pytestmark = pytest.mark.django_db

SECTION = "Clinical profile"


def _url(user) -> str:
    return f"/accounts/users/{user.pk}/clinical-profile/"


def _form(profile: TherapistProfile, **changes) -> dict:
    """The section's form as the page fills it in from the profile, with `changes` made (False unticks a box)."""
    data = {
        "discipline": profile.discipline,
        "credentials": profile.credentials,
        "license_type": profile.license_type,
        "license_number": profile.license_number,
        "npi": profile.npi,
        "is_prelicensed": profile.is_prelicensed,
        "supervisor": profile.supervisor_id or "",
        "reduced_fee_cap": "" if profile.reduced_fee_cap is None else profile.reduced_fee_cap,
        "accepts_patient_messages": profile.accepts_patient_messages,
        "accepts_new_patients": profile.accepts_new_patients,
        "self_booking": profile.self_booking,
    }
    data.update(changes)
    return {name: ("on" if value is True else value) for name, value in data.items() if value is not False}


def _profile(user) -> TherapistProfile:
    return TherapistProfile.objects.get(user=user)


def _psychotherapy_session_past(therapist, patient, *, days_ago: int = 7) -> Appointment:
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=days_ago), dt.time(10, 0))
    return AppointmentFactory(therapist=therapist, patient=patient, start=start, end=start + dt.timedelta(minutes=45))


def test_an_admin_saves_each_field_of_a_therapists_clinical_profile(personas, login):
    therapist = personas.other_therapist
    before = _profile(therapist)
    changes = {
        "discipline": Discipline.BODYWORK,
        "credentials": "LMT",
        "license_type": "Massage therapist",
        "license_number": "MT-2291",
        "npi": "1234567893",
        "reduced_fee_cap": 4,
        "accepts_patient_messages": True,
        "accepts_new_patients": False,
        "self_booking": True,
    }
    response = login(personas.admin).post(_url(therapist), _form(before, **changes), follow=True)
    assert response.status_code == 200
    assert f"{therapist.full_name}&#x27;s clinical profile is saved." in response.content.decode()
    after = _profile(therapist)
    assert {name: getattr(after, name) for name in changes} == changes

    # Pre-licensed, supervised by a licensed massage therapist.
    supervisor = TherapistFactory(profile__discipline=Discipline.BODYWORK)
    response = login(personas.admin).post(_url(therapist), _form(after, is_prelicensed=True, supervisor=supervisor.pk))
    assert response.status_code == 302
    after = _profile(therapist)
    assert (after.is_prelicensed, after.supervisor) == (True, supervisor)


def test_the_change_is_in_the_access_log_with_what_it_was_and_what_it_became(personas, login):
    therapist = personas.therapist
    before = _profile(therapist)
    login(personas.admin).post(_url(therapist), _form(before, credentials="PhD", reduced_fee_cap=3))
    row = AccessLog.objects.get(action="therapist_profile_change")
    assert row.actor == personas.admin
    assert (row.subject_type, row.subject_id) == ("accounts.therapistprofile", str(before.pk))
    assert row.detail == {
        "therapist": therapist.pk,
        "before": {"credentials": before.credentials, "reduced_fee_cap": None},
        "after": {"credentials": "PhD", "reduced_fee_cap": 3},
    }
    # Saving it again as it is changes nothing and logs nothing more.
    login(personas.admin).post(_url(therapist), _form(_profile(therapist)))
    assert AccessLog.objects.filter(action="therapist_profile_change").count() == 1


def test_the_section_is_on_a_therapists_staff_page_only(personas, login):
    admin = login(personas.admin)
    page = admin.get(f"/accounts/users/{personas.therapist.pk}/").content.decode()
    assert SECTION in page and "Reduced-fee cap" in page
    assert SECTION not in admin.get(f"/accounts/users/{personas.front_desk.pk}/").content.decode()


@pytest.mark.parametrize("who", ["front_desk", "therapist", "billing"])
def test_nobody_but_an_admin_changes_a_clinical_profile(personas, login, who):
    profile = _profile(personas.therapist)
    response = login(getattr(personas, who)).post(_url(personas.therapist), _form(profile, credentials="PhD"))
    assert response.status_code == 403
    assert _profile(personas.therapist).credentials == profile.credentials
    assert not AccessLog.objects.filter(action="therapist_profile_change").exists()


def test_a_form_that_does_not_parse_is_a_422_on_its_field(personas, login):
    profile = _profile(personas.therapist)
    response = login(personas.admin).post(_url(personas.therapist), _form(profile, reduced_fee_cap="-1"))
    assert response.status_code == 422
    assert "greater than or equal to 0" in response.content.decode()


def test_an_npi_of_other_than_ten_digits_is_refused_on_its_field(personas, login):
    profile = _profile(personas.therapist)
    response = login(personas.admin).post(_url(personas.therapist), _form(profile, npi="12345abc"))
    assert response.status_code == 422
    assert "ten digits" in response.content.decode()
    assert _profile(personas.therapist).npi == profile.npi


def test_a_prelicensed_therapist_needs_a_supervisor(personas, login):
    profile = _profile(personas.therapist)
    response = login(personas.admin).post(_url(personas.therapist), _form(profile, is_prelicensed=True))
    assert response.status_code == 422
    assert "needs a supervisor" in response.content.decode()
    assert not _profile(personas.therapist).is_prelicensed


@pytest.mark.parametrize("who", ["themselves", "prelicensed", "deactivated", "front_desk"])
def test_someone_who_cannot_supervise_is_refused_on_the_page(personas, login, who):
    if who == "themselves":
        supervisor = personas.therapist
    elif who == "front_desk":
        supervisor = personas.front_desk
    else:
        supervisor = personas.other_therapist
        if who == "prelicensed":
            TherapistProfile.objects.filter(user=supervisor).update(is_prelicensed=True, supervisor=personas.admin)
        else:
            type(supervisor).objects.filter(pk=supervisor.pk).update(is_active=False)
    profile = _profile(personas.therapist)
    response = login(personas.admin).post(
        _url(personas.therapist), _form(profile, is_prelicensed=True, supervisor=supervisor.pk)
    )
    assert response.status_code in (400, 422)  # not even offered (400), or offered and refused (422)
    assert _profile(personas.therapist).supervisor is None


def test_a_supervisor_of_another_discipline_is_refused(personas, bodywork_provider):
    with pytest.raises(Unprocessable, match="same discipline") as caught:
        therapist_profile_change(
            actor=personas.admin, user=personas.therapist, is_prelicensed=True, supervisor=bodywork_provider
        )
    assert "supervisor" in caught.value.fields
    assert _profile(personas.therapist).supervisor is None


def test_a_supervisor_of_another_discipline_is_refused_on_the_page(personas, login, bodywork_provider):
    """Not offered on the page (the supervisor list is of the profile's discipline), so a post naming one anyway is
    refused on the field."""
    profile = _profile(personas.therapist)
    response = login(personas.admin).post(
        _url(personas.therapist), _form(profile, is_prelicensed=True, supervisor=bodywork_provider.pk)
    )
    assert response.status_code == 422
    assert response.context["profile"].errors["supervisor"]
    assert _profile(personas.therapist).supervisor is None


def test_a_therapist_who_supervises_others_stays_licensed_and_in_their_discipline(personas):
    therapist_profile_change(
        actor=personas.admin, user=personas.other_therapist, is_prelicensed=True, supervisor=personas.therapist
    )
    with pytest.raises(Unprocessable, match="supervises") as caught:
        therapist_profile_change(actor=personas.admin, user=personas.therapist, is_prelicensed=True)
    assert "is_prelicensed" in caught.value.fields
    with pytest.raises(Conflict, match="supervises"):
        therapist_profile_change(actor=personas.admin, user=personas.therapist, discipline=Discipline.BODYWORK)
    assert _profile(personas.therapist).discipline == Discipline.PSYCHOTHERAPY


def test_a_discipline_change_is_refused_while_sessions_of_the_old_one_are_booked(personas, login):
    appointment_ahead(therapist=personas.therapist, patient=personas.patient)
    profile = _profile(personas.therapist)
    response = login(personas.admin).post(_url(personas.therapist), _form(profile, discipline=Discipline.BODYWORK))
    assert response.status_code == 409
    assert "1 upcoming session(s) of another discipline" in response.content.decode()
    assert _profile(personas.therapist).discipline == Discipline.PSYCHOTHERAPY


def test_a_discipline_change_is_refused_once_the_therapist_has_written_notes(personas):
    note_create(
        actor=personas.therapist,
        appointment=_psychotherapy_session_past(personas.therapist, personas.patient),
        content={},
    )
    with pytest.raises(Conflict, match="who may read them") as caught:
        therapist_profile_change(actor=personas.admin, user=personas.therapist, discipline=Discipline.BODYWORK)
    assert "discipline" in caught.value.fields
    assert _profile(personas.therapist).discipline == Discipline.PSYCHOTHERAPY


def test_process_notes_alone_keep_the_discipline_too(personas, login):
    """A bodywork provider cannot read a process note, their own included: the change would lock them out of it."""
    process_note_create(actor=personas.therapist, patient=personas.patient, text="Rage beneath the politeness.")
    profile = _profile(personas.therapist)
    response = login(personas.admin).post(_url(personas.therapist), _form(profile, discipline=Discipline.BODYWORK))
    assert response.status_code == 409
    assert "1 note" in response.content.decode() and "who may read them" in response.content.decode()
    assert _profile(personas.therapist).discipline == Discipline.PSYCHOTHERAPY


def test_turning_online_booking_and_new_patients_off_leaves_booked_sessions_booked(personas, login):
    TherapistProfile.objects.filter(user=personas.therapist).update(self_booking=True, accepts_new_patients=True)
    booked = appointment_ahead(therapist=personas.therapist, patient=personas.patient)
    profile = _profile(personas.therapist)
    response = login(personas.admin).post(
        _url(personas.therapist), _form(profile, self_booking=False, accepts_new_patients=False)
    )
    assert response.status_code == 302
    profile = _profile(personas.therapist)
    assert (profile.self_booking, profile.accepts_new_patients) == (False, False)
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_turning_messages_on_makes_the_therapist_one_who_takes_them(personas, login):
    ClinicSettings.objects.update_or_create(id=1, defaults={"patient_messages_to_therapists": True})
    assert personas.therapist not in therapists_taking_messages()
    profile = _profile(personas.therapist)
    login(personas.admin).post(_url(personas.therapist), _form(profile, accepts_patient_messages=True))
    assert personas.therapist in therapists_taking_messages()


def test_someone_not_a_therapist_has_no_clinical_profile_to_change(personas):
    with pytest.raises(Unprocessable):
        therapist_profile_change(actor=personas.admin, user=personas.front_desk, credentials="PhD")
    assert not TherapistProfile.objects.filter(user=personas.front_desk).exists()


def test_a_massage_service_booked_ahead_keeps_a_bodywork_provider_one(personas, bodywork_provider):
    massage = ServiceTypeFactory(code="RLX60")
    appointment_ahead(therapist=bodywork_provider, patient=personas.patient, service_type=massage)
    with pytest.raises(Conflict, match="upcoming session"):
        therapist_profile_change(actor=personas.admin, user=bodywork_provider, discipline=Discipline.PSYCHOTHERAPY)
    assert _profile(bodywork_provider).discipline == Discipline.BODYWORK
    assert Role.THERAPIST in bodywork_provider.roles


def test_a_supervised_therapist_keeps_the_discipline_of_their_supervisor(personas, login):
    therapist_profile_change(
        actor=personas.admin, user=personas.other_therapist, is_prelicensed=True, supervisor=personas.therapist
    )
    with pytest.raises(Unprocessable, match="same discipline"):
        therapist_profile_change(actor=personas.admin, user=personas.other_therapist, discipline=Discipline.BODYWORK)
    # The working-hours page's discipline form is refused by the same service.
    page = login(personas.admin).post(
        f"/schedule/availability/{personas.other_therapist.pk}/",
        {"kind": "discipline", "discipline-discipline": Discipline.BODYWORK},
    )
    assert "same discipline" in page.content.decode()
    assert _profile(personas.other_therapist).discipline == Discipline.PSYCHOTHERAPY
    # Named a massage therapist as supervisor in the same change, they may move to massage and bodywork.
    masseuse = TherapistFactory(profile__discipline=Discipline.BODYWORK)
    therapist_profile_change(
        actor=personas.admin, user=personas.other_therapist, discipline=Discipline.BODYWORK, supervisor=masseuse
    )
    profile = _profile(personas.other_therapist)
    assert (profile.discipline, profile.supervisor) == (Discipline.BODYWORK, masseuse)


def test_the_supervisor_list_offers_licensed_therapists_only(personas):
    TherapistProfile.objects.filter(user=personas.other_therapist).update(
        is_prelicensed=True, supervisor=personas.admin
    )
    licensed = TherapistFactory()
    offered = set(ClinicalProfileForm(member=personas.therapist).fields["supervisor"].queryset)
    assert licensed in offered
    assert personas.other_therapist not in offered and personas.therapist not in offered


def test_the_supervisor_list_offers_only_those_the_profile_may_be_given(personas, login, bodywork_provider):
    """Before, a psychotherapist's page offered a massage therapist as supervisor, whom saving then refused."""
    left = TherapistFactory(is_active=False)
    offered = set(ClinicalProfileForm(member=personas.therapist).fields["supervisor"].queryset)
    assert offered == {personas.other_therapist}
    page = login(personas.admin).get(f"/accounts/users/{personas.therapist.pk}/").content.decode()
    assert f'<option value="{personas.other_therapist.pk}"' in page
    for unfit in (bodywork_provider, left, personas.therapist):
        assert f'<option value="{unfit.pk}"' not in page
    # A massage therapist's own page offers the other massage therapists, not the psychotherapists.
    masseuse = TherapistFactory(profile__discipline=Discipline.BODYWORK)
    assert set(ClinicalProfileForm(member=bodywork_provider).fields["supervisor"].queryset) == {masseuse}


def test_the_supervisor_list_follows_a_discipline_changed_in_the_same_save(personas):
    masseuse = TherapistFactory(profile__discipline=Discipline.BODYWORK)
    form = ClinicalProfileForm(
        _form(_profile(personas.other_therapist), discipline=Discipline.BODYWORK, supervisor=masseuse.pk),
        member=personas.other_therapist,
    )
    assert form.is_valid(), form.errors
    assert set(form.fields["supervisor"].queryset) == {masseuse}


def test_two_licensed_therapists_cannot_be_made_each_others_supervisors(personas, login):
    """A licensed therapist may have a supervisor too; one who already supervises them is refused, or each would read
    the other's signed plans."""
    first, second = personas.therapist, personas.other_therapist
    therapist_profile_change(actor=personas.admin, user=second, supervisor=first)
    with pytest.raises(Unprocessable, match="is supervised by") as caught:
        therapist_profile_change(actor=personas.admin, user=first, supervisor=second)
    assert "supervisor" in caught.value.fields
    # The staff page does not offer them; a post naming them anyway is refused on the field.
    assert second not in set(ClinicalProfileForm(member=first).fields["supervisor"].queryset)
    response = login(personas.admin).post(_url(first), _form(_profile(first), supervisor=second.pk))
    assert response.status_code in (400, 422) and "supervisor" in response.content.decode()
    assert _profile(first).supervisor is None


def test_a_supervisor_supervised_by_the_therapist_through_a_chain_is_refused(personas):
    first, second, third = personas.therapist, personas.other_therapist, TherapistFactory()
    therapist_profile_change(actor=personas.admin, user=second, supervisor=first)
    therapist_profile_change(actor=personas.admin, user=third, supervisor=second)
    with pytest.raises(Unprocessable, match="is supervised by"):
        therapist_profile_change(actor=personas.admin, user=first, supervisor=third)
    assert _profile(first).supervisor is None
    offered = set(ClinicalProfileForm(member=first).fields["supervisor"].queryset)
    assert second not in offered and third not in offered
    # Someone outside the therapist's supervision is a supervisor they may have.
    therapist_profile_change(actor=personas.admin, user=first, supervisor=TherapistFactory())
